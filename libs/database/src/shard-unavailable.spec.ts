import { isConnectionError, shardUnavailable } from './shard-unavailable';

describe('isConnectionError', () => {
  it('recognises refused, reset and shut-down connections', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(true);
    expect(isConnectionError({ code: '08006', message: 'connection failure' })).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('leaves query errors alone', () => {
    expect(isConnectionError({ code: '23505', message: 'duplicate key value' })).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});

describe('shardUnavailable', () => {
  it('names the shard, not its URL', () => {
    const err = shardUnavailable('shard-2', new Error('connect ECONNREFUSED 127.0.0.1:5433'));
    expect(err).toMatchObject({ kind: 'UNAVAILABLE', code: 'SHARD_UNAVAILABLE', message: 'Shard shard-2 is unavailable' });
  });
});
