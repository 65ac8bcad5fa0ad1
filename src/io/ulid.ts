/**
 * ULIDs for the events kit appends to a Spec Kitty 3.x log: 48 bits of milliseconds and 80 random bits in
 * Crockford base32, 26 characters, as 3.x writes them. Ids minted together in one process are strictly
 * increasing (the random part counts up within a millisecond), so a chain of events sorts in order even
 * where their times are equal.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: bigint = 0n;

function encode(value: bigint, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) {
    text = ALPHABET[Number(value & 31n)] + text;
    value >>= 5n;
  }
  return text;
}

/** A new ULID for the time `now` (milliseconds since the epoch). */
export function newUlid(now: number = Date.now()): string {
  const time = Math.max(0, Math.floor(now));
  if (time <= lastTime) {
    lastRandom += 1n;
  } else {
    lastTime = time;
    lastRandom = BigInt(`0x${randomBytes(10).toString('hex')}`) >> 1n; // room to count up
  }
  return encode(BigInt(lastTime), 10) + encode(lastRandom, 16);
}
