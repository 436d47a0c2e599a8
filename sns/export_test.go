package sns

// Internals the external tests look at.

// CheckCertURL is the certificate URL check.
var CheckCertURL = checkCertURL

// CachedCertificates returns the number of certificates v keeps.
func (v *Validator) CachedCertificates() int { return v.certs.keys.Len() }
