import { chunksOf } from './kafka';

const message = (value: string, key = 'k') => ({ key, value });

describe('chunksOf', () => {
  it('cuts messages, in order, into runs of at most the byte budget, counting keys and values', () => {
    const messages = [message('a'.repeat(4)), message('b'.repeat(4)), message('c'.repeat(4)), message('d')];
    // Each of the first three is 5 bytes: two fit in 10, the third starts a run with the fourth.
    expect(chunksOf(messages, 10)).toEqual([[messages[0], messages[1]], [messages[2], messages[3]]]);
  });

  it('sends a message larger than the budget alone, and gives nothing for nothing', () => {
    const messages = [message('x'), message('y'.repeat(50)), message('z')];
    expect(chunksOf(messages, 10)).toEqual([[messages[0]], [messages[1]], [messages[2]]]);
    expect(chunksOf([], 10)).toEqual([]);
  });

  it('counts header names and values, as dead letters carry the reason in them', () => {
    const withHeaders = { key: 'k', value: 'v', headers: { reason: 'ab', trail: ['c', Buffer.from('d')] } };
    // 'k' + 'v' + 'reason' + 'ab' + 'trail' + 'c' + 'd' = 17 bytes: two do not fit in 30.
    expect(chunksOf([withHeaders, withHeaders], 30)).toEqual([[withHeaders], [withHeaders]]);
    expect(chunksOf([withHeaders, withHeaders], 34)).toEqual([[withHeaders, withHeaders]]);
  });

  it('counts bytes, not characters', () => {
    const messages = [message('é'.repeat(3)), message('é'.repeat(3))];
    // 'k' + 6 bytes = 7 each: two do not fit in 10.
    expect(chunksOf(messages, 10)).toEqual([[messages[0]], [messages[1]]]);
  });
});
