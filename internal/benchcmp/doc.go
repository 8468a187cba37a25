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
//
// cli-small-files.sh beside it (`make bench-cli`) measures the real command
// line instead of the engine: `ossdrop upload` of 100,000 files of 256 B to
// `ossdrop serve-local`, with wall time, CPU and peak RSS of both processes.
package benchcmp
