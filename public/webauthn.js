// Runs the WebAuthn ceremony for the security-key forms (views/methods/securityKey/*.eta).
// The server renders every form complete; this script only asks the browser for a credential,
// puts the browser's answer in the hidden "response" field and submits the form.
// Loaded as a module: deferred until the page is parsed, and run once however many partials
// include it. SimpleWebAuthnBrowser is the global of the UMD bundle loaded before it.
{
  const lib = window.SimpleWebAuthnBrowser;

  function supported() {
    return !!(lib && typeof lib.browserSupportsWebAuthn === 'function' && lib.browserSupportsWebAuthn());
  }

  function optionsFor(form) {
    const block =
      form.querySelector('script[type="application/json"][data-webauthn-options]') ||
      document.getElementById('webauthn-options');
    if (!block) return null;
    try {
      return JSON.parse(block.textContent || '');
    } catch {
      return null;
    }
  }

  function showError(form, message) {
    const el = form.querySelector('[data-webauthn-error]') || form.querySelector('[role="alert"]');
    if (!el) return;
    el.textContent = message || '';
    el.hidden = !message;
  }

  function messageFor(form, err) {
    const name = err?.name;
    const code = err?.code;
    if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
      return form.dataset.msgCancelled;
    }
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
      return form.dataset.msgRegistered || form.dataset.msgError;
    }
    if (name === 'NotSupportedError') return form.dataset.msgUnsupported;
    return form.dataset.msgError || form.dataset.msgCancelled;
  }

  function setup(form) {
    const mode = form.dataset.webauthn;
    const button = form.querySelector('[data-webauthn-start]') || form.querySelector('button[type="submit"]');
    const field = form.querySelector('input[name="response"]');
    const optionsJSON = optionsFor(form);
    if (!field || !optionsJSON || !['register', 'authenticate', 'passkey'].includes(mode)) return;

    if (!supported()) {
      showError(form, form.dataset.msgUnsupported);
      if (button) button.disabled = true;
      return;
    }
    if (button) button.disabled = false;

    let busy = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      if (button) button.disabled = true;
      showError(form, '');
      try {
        const result =
          mode === 'register'
            ? await lib.startRegistration({ optionsJSON })
            : await lib.startAuthentication({ optionsJSON });
        field.value = JSON.stringify(result);
        // HTMLFormElement.prototype.submit does not fire "submit" again, and is safe even if a
        // control of the form is named "submit".
        HTMLFormElement.prototype.submit.call(form);
      } catch (err) {
        showError(form, messageFor(form, err));
        busy = false;
        if (button) button.disabled = false;
      }
    });
  }

  function init() {
    for (const form of document.querySelectorAll('form[data-webauthn]')) setup(form);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}
