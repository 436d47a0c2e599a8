module github.com/sesguard/sesguard

go 1.26.8
