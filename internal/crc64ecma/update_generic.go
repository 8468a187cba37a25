//go:build !(amd64 || arm64) || purego

package crc64ecma

func update(crc uint64, p []byte) uint64 { return updateGeneric(crc, p) }
