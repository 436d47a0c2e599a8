// Package faults is sesguard's fault-injection suite: it proves, on real
// PostgreSQL and MariaDB servers and an SQS emulator, that no SES
// notification is lost or counted twice when the connection to the
// database is reset, stalled or loses its replies while notifications are
// being applied (the promise "No lost notification" of the design).
//
// The package holds only tests. They put internal/faultproxy between the
// library and the database, deliver signed bounce notifications with
// internal/faultsuite's SNS-like retrying senders (the webhook) or through
// package sqsconsumer (an SQS queue on fauxqs), and check the store once
// the faults are over. TestApplyMatrix runs internal/faultstore's
// crash-after-each-step matrix on the SQL stores. The tests read the
// servers' addresses from SESGUARD_POSTGRES_DSN, SESGUARD_MYSQL_DSN and
// SESGUARD_SQS_ENDPOINT, and skip, saying so, when one is unset.
// DEVELOPERS.md describes the cases.
//
// The module is apart from the root and from store/sqlstore so that the
// drivers and the SQS client it needs reach no user's build.
package faults
