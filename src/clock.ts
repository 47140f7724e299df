export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand, so expiry is tested without sleeping. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#t = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.#t);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
  set(t: Date | number): void {
    this.#t = typeof t === 'number' ? t : t.getTime();
  }
}
