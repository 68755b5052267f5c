// Passkeys: allauth's WebAuthn script (mfa/js/webauthn.js) reports a failed or cancelled
// ceremony as an "allauth.error" event. Say so on the page, in the element marked
// data-passkey-error, instead of only in the console. Same-origin file: the CSP allows it.
(function () {
  document.addEventListener('allauth.error', function (event) {
    const box = document.querySelector('[data-passkey-error]')
    if (!box) {
      return
    }
    event.preventDefault()
    box.hidden = false
    box.textContent = 'The passkey was not used: the browser or the key cancelled the request. Try again, or use your authenticator app.'
  })
})()
