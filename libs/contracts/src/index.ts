export const placeholder = 'contracts';
