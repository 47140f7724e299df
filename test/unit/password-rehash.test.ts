import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import argon2 from 'argon2';
import { ARGON2_PARAMS, hashSecret, needsRehash } from '../../src/security/passwords.ts';

/**
 * needsRehash answers a current hash from its prefix without parsing it (issue 12). It must agree with
 * argon2's own answer: a stronger or weaker configuration, another variant, or anything malformed is
 * rehashed at the next sign-in.
 */
describe('needsRehash', () => {
  it('leaves a hash made with the current parameters alone, as argon2 does, and without parsing it', async () => {
    const hash = await hashSecret('correct horse battery staple');
    assert.equal(needsRehash(hash), false);
    assert.equal(argon2.needsRehash(hash, ARGON2_PARAMS), false);
    // Answered from the prefix: the parser is not asked.
    const parse = argon2.needsRehash;
    argon2.needsRehash = () => {
      throw new Error('parsed');
    };
    try {
      assert.equal(needsRehash(hash), false);
    } finally {
      argon2.needsRehash = parse;
    }
  });

  it('rehashes every other configuration and anything malformed', async () => {
    const others = [
      await argon2.hash('pw', { ...ARGON2_PARAMS, memoryCost: 65_536 }),
      await argon2.hash('pw', { ...ARGON2_PARAMS, timeCost: 3 }),
      await argon2.hash('pw', { ...ARGON2_PARAMS, type: argon2.argon2i }),
      // argon2's own check would keep these variants (it compares the parameters only).
      await argon2.hash('pw', { ...ARGON2_PARAMS, type: argon2.argon2d }),
      // The current prefix inside another string is not the current prefix.
      `x$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},p=${ARGON2_PARAMS.parallelism},t=${ARGON2_PARAMS.timeCost}$abc$def`,
      '$argon2id$v=19$m=19456,p=1$broken',
      '$2b$10$abcdefghijklmnopqrstuu9w1mTqQd6hS0rEFRFz1bqLnwPjxq3Ga',
      '',
    ];
    for (const h of others) assert.equal(needsRehash(h), true, h);
  });
});
