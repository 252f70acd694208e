// The bare baseline of the gRPC scenarios: @grpc/grpc-js serving inference.GRPCInferenceService
// from the same proto, loaded with the same options as sluice, whose ModelInfer echoes the
// inputs as outputs (typed or raw contents, as they came): the work of sluice's echo model with
// nothing around it. Run as a child process, like `sluice serve`; it prints its address.
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

const proto = new URL("../../proto/open_inference_grpc.proto", import.meta.url).pathname;
const options = { keepCase: true, longs: String, enums: String, defaults: false, oneofs: true };
const service = loadSync(proto, options)["inference.GRPCInferenceService"];

const server = new Server();
server.addService(service, {
  ModelInfer(call, callback) {
    const { model_name, id, inputs = [], raw_input_contents } = call.request;
    const outputs = inputs.map(({ name, datatype, shape, contents }) => ({
      name,
      datatype,
      shape,
      contents,
    }));
    callback(null, { model_name, id, outputs, raw_output_contents: raw_input_contents });
  },
  ServerLive: (_call, callback) => callback(null, { live: true }),
});
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`bare-grpc: serving on 127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
