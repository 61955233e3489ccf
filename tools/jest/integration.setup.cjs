// Integration specs talk to real PostgreSQL, Redis and Kafka; give them room.
jest.setTimeout(120_000);
