const { createJestConfig } = require('../../jest.preset.cjs');

// One spec at a time: blast-radius stops a PostgreSQL cluster, which would fail whatever other
// spec ran beside it; and each spec runs a whole platform on a machine of two cores.
module.exports = { ...createJestConfig(__dirname), maxWorkers: 1 };
