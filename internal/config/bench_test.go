package config

import "testing"

func BenchmarkParseDefault(b *testing.B) {
	data, _ := ProfileText(DefaultProfile)
	for b.Loop() {
		if _, err := Parse("x", data); err != nil {
			b.Fatal(err)
		}
	}
}
