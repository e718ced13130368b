// A small deterministic PRNG (xoshiro128**) for cap-ID randomisation and
// prng_get_entropy. Seeded from the options (tests, reproducible runs) or from the
// platform's CSPRNG (crypto.getRandomValues), so cap IDs are unguessable by default.

export class Prng {
  private s: Uint32Array;

  constructor(seed?: number) {
    this.s = new Uint32Array(4);
    if (seed === undefined) {
      // Web Crypto's CSPRNG: the same global in Node 20 and in browsers.
      globalThis.crypto.getRandomValues(this.s);
    } else {
      // splitmix32 expands the seed so that nearby seeds give unrelated streams.
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.s[i] = (z ^ (z >>> 16)) >>> 0;
      }
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s[2] = s[2]! ^ s0;
    s[3] = s[3]! ^ s1;
    s[1] = s1 ^ s[2]!;
    s[0] = s0 ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  nextU64(): bigint {
    return (BigInt(this.nextU32()) << 32n) | BigInt(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
