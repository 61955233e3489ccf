export const placeholder = 'grpc-kit';
