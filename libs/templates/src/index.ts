export { inspectTemplate, renderTemplate } from './json-template';
export type { JsonValue, TemplateProblem, TemplateReference } from './json-template';
