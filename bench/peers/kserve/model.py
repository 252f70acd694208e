"""The trivial OIP model of bench:peers for KServe's model server: its outputs are its input
tensors. Arguments are KServe's own (--http_port, --workers, ...)."""
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class EchoModel(Model):
    def __init__(self, name: str):
        super().__init__(name)
        self.ready = True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        outputs = [
            InferOutput(name=t.name, shape=t.shape, datatype=t.datatype, data=t.data)
            for t in payload.inputs
        ]
        return InferResponse(response_id=payload.id, model_name=self.name, infer_outputs=outputs)


if __name__ == "__main__":
    ModelServer().start([EchoModel("echo")])
