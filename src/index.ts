/** The public face of the sluice package. */
export { type ErrorCode, errorCodes, isSluiceError, SluiceError } from "./errors.js";
