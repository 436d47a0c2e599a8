// Package unsubscribe implements one-click unsubscribe for bulk mail: the
// List-Unsubscribe and List-Unsubscribe-Post header fields of RFC 2369 and
// RFC 8058, the signed tokens their links carry, and the HTTP handler that
// honours them.
//
// Since February 2024 Gmail and Yahoo require senders of more than 5,000
// messages a day to carry both fields on bulk mail, with an HTTPS URI, and
// to honour the POST that the mailbox provider makes when its user clicks
// "Unsubscribe" — without a login, cookie or CSRF token, and within two
// days.
//
// Most programs use this package through the sesguard Client
// (sesguard.Options.Unsubscribe and Client.UnsubscribeHandler), which adds
// the fields to every message sent for a list and records each unsubscribe
// as a suppression scoped to that list. The pieces stand alone too:
//
//   - [Keys] issues and verifies tokens: opaque, encrypted and
//     authenticated with HMAC-SHA256, binding an address, a list and the
//     time of issue, with key rotation.
//   - [Links] makes the List-Unsubscribe value for one recipient, and
//     [InsertRaw] puts the fields into a raw MIME message.
//   - [Handler] serves the link: a confirmation page on GET, the
//     unsubscribe itself on the one-click POST.
package unsubscribe
