/**
 * Trailing metadata key that carries a failed call's serialized `bulkhead.common.v1.ErrorInfo`.
 * The `-bin` suffix makes gRPC send the value as binary (base64 on the wire).
 */
export const ERROR_INFO_TRAILER_KEY = 'bulkhead-error-bin';
