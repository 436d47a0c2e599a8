package dynamostore

var canonical = func(s string) (string, error) { return s, nil }
