// Front-channel logout: the page frames each app's logout page (hidden). The window's load event
// fires once every frame has loaded, then the browser continues to where the logout was going; an
// app whose frame never loads holds it up for at most a few seconds. Without JavaScript the link stays.
const link = document.querySelector('a[data-continue]');
let gone = false;
function go() {
  if (gone || !link) return;
  gone = true;
  window.location.replace(link.href);
}
if (document.readyState === 'complete') go();
else window.addEventListener('load', go);
setTimeout(go, 5000);
