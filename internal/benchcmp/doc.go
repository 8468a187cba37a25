// Package benchcmp holds only benchmarks: ossdrop's engine against the OSS
// SDK v1 Bucket.UploadFile and the SDK v2 Uploader, run interleaved against
// one ossemu server, directly and through a shaped long-distance link.
// Run it with `make bench` or
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/benchcmp/
//
// OSSDROP_BENCH_REPS sets the repetitions of every scenario;
// OSSDROP_BENCH_TOOLS=ossdrop,sdk2-Uploader runs only those tools;
// OSSDROP_BENCHCMP_CPUPROFILE=dir writes each client's CPU profile there.
package benchcmp
