// Registers the proof-of-work worker for the ALTCHA widget (views/partials/pow.eta). The widget's
// "external" build bundles no workers, so none is created from a blob: URL; ours is a plain file
// from this origin, which the CSP's script-src 'self' allows (workers fall back to it).
// Importing the widget first makes sure its global registry exists; the browser loads it once.
import '/assets/vendor/altcha.js';

// The only algorithm src/security/pow.ts issues.
globalThis.$altcha.algorithms.set(
  'PBKDF2/SHA-256',
  () => new Worker('/assets/vendor/altcha-worker-pbkdf2.js'),
);
