package web

import "testing"

func TestSnippetEscapesAllButMark(t *testing.T) {
	v := &view{Lang: "id"}
	tests := []struct{ name, in, want string }{
		{"plain", "kerja <mark>sama</mark> BPOM", "kerja <mark>sama</mark> BPOM"},
		{"escaped text stays escaped", "a &lt;b&gt; <mark>c</mark> &amp; d", "a &lt;b&gt; <mark>c</mark> &amp; d"},
		{"raw html from a careless adapter", `<script>alert(1)</script><mark>x</mark><img src=x onerror=y>`,
			"&lt;script&gt;alert(1)&lt;/script&gt;<mark>x</mark>&lt;img src=x onerror=y&gt;"},
		{"unbalanced marks", "</mark>a<mark>b", "a<mark>b</mark>"},
		{"nested mark", "<mark>a<mark>b</mark>", "<mark>ab</mark>"},
		{"mark with attributes is text", `<mark class="x">a</mark>`, "&lt;mark class=&#34;x&#34;&gt;a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(v.Snippet(tt.in)); got != tt.want {
				t.Errorf("Snippet(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/agreements/x": "/agreements/x", "//evil.com": "", "https://evil.com": "", "/\\evil": "", "": "", "/login": "", "/\t/evil": "", "/\r\nSet-Cookie:x": ""} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTranslationsComplete(t *testing.T) {
	for k, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %q lacks a translation: %q", k, m)
		}
	}
}
