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

// The check never blocks a person: the widget starts solving when the page loads (auto="onload"),
// and a form submitted before it is done waits for it with a visible "checking…" status, then is
// submitted again by itself. The server still verifies the posted solution (pow.verify()).
for (const widget of document.querySelectorAll('altcha-widget')) {
  const form = widget.closest('form');
  const box = widget.closest('.pow');
  const status = box?.querySelector('.pow-status');
  if (!form || !box || !status) continue;
  const name = widget.getAttribute('name') || 'altcha';
  /** The submit that waits for the check: the button pressed, or null for Enter. */
  let waiting;
  let resubmitting = false;

  const state = () => (typeof widget.getState === 'function' ? widget.getState() : 'unverified');
  const say = (text) => {
    status.textContent = text;
  };
  const start = () => {
    if (typeof widget.verify !== 'function') return;
    const s = state();
    if (s === 'unverified' || s === 'error' || s === 'expired') widget.verify();
  };
  const hold = (submitter) => {
    waiting = { submitter };
    form.setAttribute('aria-busy', 'true');
    say(box.dataset.checking);
    start();
  };
  const release = () => {
    if (!waiting) return;
    // The widget writes its hidden field after it reports "verified": wait until the field is there.
    if (!new FormData(form).get(name)) {
      setTimeout(release, 20);
      return;
    }
    const { submitter } = waiting;
    waiting = undefined;
    form.removeAttribute('aria-busy');
    say(box.dataset.done);
    resubmitting = true;
    try {
      if (submitter && submitter.form === form) form.requestSubmit(submitter);
      else form.requestSubmit();
    } finally {
      resubmitting = false;
    }
  };

  form.addEventListener('submit', (ev) => {
    if (resubmitting || state() === 'verified') return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    hold(ev.submitter ?? null);
  });
  // Forms the browser validates: the widget's required check box would stop the submit with a
  // bubble; the check is ours to wait for instead.
  form.addEventListener(
    'invalid',
    (ev) => {
      if (!widget.contains(ev.target) && ev.target?.getRootNode?.().host !== widget) return;
      ev.preventDefault();
      if (!waiting) hold(null);
    },
    true,
  );
  widget.addEventListener('statechange', (ev) => {
    const s = ev.detail?.state;
    if (s === 'verified') setTimeout(release, 0);
    else if (s === 'error' && waiting) say(box.dataset.failed);
    else if (s === 'expired') start();
  });
}

// Back to a page kept in memory: its challenge was used already, so load a fresh one.
addEventListener('pageshow', (ev) => {
  if (ev.persisted && document.querySelector('altcha-widget')) location.reload();
});
