/**
 * Trailing metadata key that carries a failed call's serialized `bulkhead.common.v1.ErrorDetail`.
 * The `-bin` suffix makes gRPC send the value as binary (base64 on the wire).
 */
export const ERROR_DETAIL_TRAILER_KEY = 'bulkhead-error-bin';
