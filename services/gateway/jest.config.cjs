const { createJestConfig } = require('../../jest.preset.cjs');

const config = createJestConfig(__dirname);

// jose (through @bulkhead/tokens) ships ES modules only: swc turns it into CommonJS for jest.
module.exports = {
  ...config,
  projects: config.projects.map((project) => ({
    ...project,
    transform: {
      ...project.transform,
      '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    },
    transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  })),
};
