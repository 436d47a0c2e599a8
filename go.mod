module github.com/sesguard/sesguard

go 1.26.8

require (
	golang.org/x/net v0.62.0
	golang.org/x/sync v0.24.0
)

require golang.org/x/text v0.43.0 // indirect
