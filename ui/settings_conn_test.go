package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/settings"
)

func TestConnectionTestSaysEachThingOnce(t *testing.T) {
	ok := settings.ConnResult{Kind: settings.ConnOK, Message: `Connected: bucket "b" in oss-cn-hangzhou answered in 12ms.`,
		Bucket: &settings.BucketSummary{Name: "b", Location: "oss-cn-hangzhou"}, Elapsed: 12 * time.Millisecond}
	if got := connectedText("b", ok); got != "Connected to b (oss-cn-hangzhou) in 12ms." {
		t.Fatalf("success says %q", got)
	}

	denied := settings.ConnResult{Kind: settings.ConnAccessDenied, Code: "AccessDenied", Status: 403, RequestID: "RID1",
		Message:  `The key is valid but may not read bucket "b"'s information; check its RAM policy (AccessDenied, RequestId RID1).`,
		Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Err: errors.New("oss: service returned error: RequestId=RID1")}
	plain := plainConnMessage(denied)
	if strings.Contains(plain, "RID1") || strings.Contains(plain, "AccessDenied") || !strings.HasSuffix(plain, "RAM policy.") {
		t.Fatalf("plain message %q", plain)
	}
	if got := connSummary(denied, "b"); strings.Contains(got, "RID1") || !strings.Contains(got, "RAM policy") {
		t.Fatalf("summary %q", got)
	}
	d := connDetails(denied)
	if strings.Count(d, "RID1") != 1 || !strings.Contains(d, "OSS code: AccessDenied") || !strings.Contains(d, "HTTP status: 403") ||
		!strings.Contains(d, "Message: "+plain) {
		t.Fatalf("details %q", d)
	}

	refused := settings.ConnResult{Kind: settings.ConnRefused, Message: "Nothing accepts connections at 127.0.0.1:1 (connection refused).",
		Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}
	if plainConnMessage(refused) != refused.Message {
		t.Fatalf("network message changed: %q", plainConnMessage(refused))
	}
	if d := connDetails(refused); !strings.Contains(d, "Cause: dial tcp") || strings.Contains(d, "RequestId") {
		t.Fatalf("network details %q", d)
	}
}
