export const placeholder = 'observability';
