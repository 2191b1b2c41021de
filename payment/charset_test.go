package payment

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCharsetCodec(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		charset string
		bytes   string
		wantErr error
	}{
		{"utf-8", "中文", "utf-8", "中文", nil},
		{"UTF8 spelling", "é", "UTF8", "é", nil},
		{"empty means utf-8", "é", "", "é", nil},
		{"gbk", "中文", "gbk", "\xd6\xd0\xce\xc4", nil},
		{"GB2312 as GBK", "中文", "GB2312", "\xd6\xd0\xce\xc4", nil},
		{"gbk cannot hold an emoji", "😀", "gbk", "", ErrCharset},
		{"unknown charset", "a", "latin1", "", ErrCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := EncodeCharset(tt.text, tt.charset)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.bytes, string(b))
			s, err := DecodeCharset(b, tt.charset)
			require.NoError(t, err)
			assert.Equal(t, tt.text, s)
		})
	}
	_, err := DecodeCharset([]byte{0xff}, "utf-8")
	assert.ErrorIs(t, err, ErrCharset)
	_, err = DecodeCharset([]byte{0x81, 0x20}, "gbk")
	assert.ErrorIs(t, err, ErrCharset, "invalid GBK must not be replaced by U+FFFD silently")
}
