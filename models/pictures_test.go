package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pictureFiles returns a picture's files (400 and 800 wide) whose bytes
// are made of seed; the models do not look inside them.
func pictureFiles(seed string) []PictureFile {
	return []PictureFile{pictureFile(seed+"-400", 400, 300), pictureFile(seed+"-800", 800, 600)}
}

func pictureFile(data string, w, h int) PictureFile {
	sum := sha256.Sum256([]byte(data))
	return PictureFile{Width: w, Height: h, ContentType: "image/jpeg", Data: []byte(data), Hash: hex.EncodeToString(sum[:])}
}

// addPicture adds a picture made of seed to product id and returns it.
func addPicture(t *testing.T, db *DB, productID uint, seed string) *Picture {
	t.Helper()
	p, err := db.AddPicture(context.Background(), productID, "a "+seed, pictureFiles(seed), AuditEntry{Staff: "ann", Action: "picture_add"})
	require.NoError(t, err)
	return p
}

// pictureOrder returns the ids of a product's pictures in order, and
// checks their positions are 1, 2, 3…
func pictureOrder(t *testing.T, db *DB, productID uint) []uint {
	t.Helper()
	pics, err := db.PicturesOf(context.Background(), []uint{productID})
	require.NoError(t, err)
	var ids []uint
	for i, p := range pics[productID] {
		assert.Equal(t, i+1, p.Position, "positions are 1, 2, 3…")
		ids = append(ids, p.ID)
	}
	return ids
}

func pictureAudits(t *testing.T, db *DB) []AuditEntry {
	t.Helper()
	var es []AuditEntry
	require.NoError(t, db.Gorm().Where("action LIKE ?", "picture_%").Order("id").Find(&es).Error)
	return es
}

func TestAddPicture(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf := product(t, db, "silk-scarf")

	first := addPicture(t, db, scarf.ID, "one")
	second := addPicture(t, db, scarf.ID, "two")
	assert.Equal(t, 1, first.Position)
	assert.Equal(t, 2, second.Position)
	assert.Equal(t, []uint{first.ID, second.ID}, pictureOrder(t, db, scarf.ID))

	pics, err := db.PicturesOf(ctx, []uint{scarf.ID, product(t, db, "tea-set").ID})
	require.NoError(t, err)
	require.Len(t, pics[scarf.ID], 2)
	assert.Empty(t, pics[product(t, db, "tea-set").ID])
	got := pics[scarf.ID][0]
	assert.Equal(t, "a one", got.Alt)
	require.Len(t, got.Files, 2)
	for i, f := range got.Files {
		want := pictureFiles("one")[i]
		assert.Equal(t, [3]any{want.Width, want.Height, want.Hash}, [3]any{f.Width, f.Height, f.Hash}, "narrowest first")
		assert.Nil(t, f.Data, "lists carry no bytes")
		stored, err := db.PictureFileByHash(ctx, f.Hash)
		require.NoError(t, err)
		assert.Equal(t, want.Data, stored.Data)
		assert.Equal(t, "image/jpeg", stored.ContentType)
	}

	audits := pictureAudits(t, db)
	require.Len(t, audits, 2)
	assert.Equal(t, "picture_add", audits[0].Action)
	assert.Equal(t, "ann", audits[0].Staff)
	assert.Equal(t, "product silk-scarf", audits[0].Target)
	assert.Contains(t, audits[0].Detail, "at position 1")
	assert.Contains(t, audits[0].Detail, `400×300 image/jpeg, 800×600 image/jpeg; alt "a one"`)
}

func TestAddPictureRefuses(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf, mug := product(t, db, "silk-scarf"), product(t, db, "ceramic-mug")
	stored := addPicture(t, db, scarf.ID, "stored")
	badHash := pictureFiles("x")
	badHash[1].Data = []byte("tampered")

	tests := []struct {
		name      string
		productID uint
		alt       string
		files     []PictureFile
		want      error
		where     *DuplicatePictureError
	}{
		{"the same picture again", scarf.ID, "", pictureFiles("stored"), ErrDuplicatePicture, &DuplicatePictureError{scarf.ID, stored.ID, 1}},
		{"the same picture on another product", mug.ID, "", pictureFiles("stored"), ErrDuplicatePicture, &DuplicatePictureError{scarf.ID, stored.ID, 1}},
		{"one of its files stored", mug.ID, "", []PictureFile{pictureFile("new", 300, 200), pictureFiles("stored")[1]}, ErrDuplicatePicture, &DuplicatePictureError{scarf.ID, stored.ID, 1}},
		{"a hash that is not the data's", mug.ID, "", badHash, ErrInvalid, nil},
		{"no files", mug.ID, "", nil, ErrInvalid, nil},
		{"a file without a size", mug.ID, "", []PictureFile{pictureFile("flat", 0, 10)}, ErrInvalid, nil},
		{"alt text too long", mug.ID, strings.Repeat("字", MaxAltLen+1), pictureFiles("long"), ErrInvalid, nil},
		{"alt text with a control character", mug.ID, "a\x00b", pictureFiles("nul"), ErrInvalid, nil},
		{"unknown product", 9999, "", pictureFiles("lost"), ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countRows(t, db, &PictureFile{})
			_, err := db.AddPicture(ctx, tt.productID, tt.alt, tt.files, AuditEntry{Staff: "ann", Action: "picture_add"})
			require.ErrorIs(t, err, tt.want)
			if tt.where != nil {
				var de *DuplicatePictureError
				require.True(t, errors.As(err, &de))
				assert.Equal(t, tt.where, de)
			}
			assert.Equal(t, before, countRows(t, db, &PictureFile{}), "nothing stored")
			assert.EqualValues(t, 1, countRows(t, db, &Picture{}))
			assert.Len(t, pictureAudits(t, db), 1, "nothing audited")
		})
	}
	t.Run("alt text of the most characters", func(t *testing.T) {
		_, err := db.AddPicture(ctx, mug.ID, "  "+strings.Repeat("字", MaxAltLen)+"  ", pictureFiles("longest"), AuditEntry{Action: "picture_add"})
		assert.NoError(t, err)
	})
}

func TestAddPictureLimit(t *testing.T) {
	db := openTestDB(t)
	pin := product(t, db, "enamel-pin")
	for i := range MaxPictures {
		addPicture(t, db, pin.ID, "pin-"+string(rune('a'+i)))
	}
	_, err := db.AddPicture(context.Background(), pin.ID, "", pictureFiles("one-more"), AuditEntry{Action: "picture_add"})
	assert.ErrorIs(t, err, ErrTooManyPictures)
	assert.Len(t, pictureOrder(t, db, pin.ID), MaxPictures)
}

func TestMoveAndDeletePicture(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf, mug := product(t, db, "silk-scarf"), product(t, db, "ceramic-mug")
	a, b, c := addPicture(t, db, scarf.ID, "a").ID, addPicture(t, db, scarf.ID, "b").ID, addPicture(t, db, scarf.ID, "c").ID
	other := addPicture(t, db, mug.ID, "mug").ID
	audit := AuditEntry{Staff: "ann", Action: "picture_move"}
	audited := len(pictureAudits(t, db))

	steps := []struct {
		name    string
		picture uint
		by      int
		want    []uint
		detail  string // of the audit entry; "" for none
	}{
		{"up", c, -1, []uint{a, c, b}, "from position 3 to 2"},
		{"up again", c, -1, []uint{c, a, b}, "from position 2 to 1"},
		{"the first up stays", c, -1, []uint{c, a, b}, ""},
		{"down past the end stops at the end", c, 5, []uint{a, b, c}, "from position 1 to 3"},
		{"the last down stays", c, 1, []uint{a, b, c}, ""},
	}
	for _, st := range steps {
		require.NoError(t, db.MovePicture(ctx, scarf.ID, st.picture, st.by, audit), st.name)
		assert.Equal(t, st.want, pictureOrder(t, db, scarf.ID), st.name)
		es := pictureAudits(t, db)
		if st.detail == "" {
			assert.Len(t, es, audited, "%s: nothing moved, nothing audited", st.name)
			continue
		}
		audited++
		require.Len(t, es, audited, st.name)
		assert.Equal(t, "picture_move", es[len(es)-1].Action)
		assert.Equal(t, "product silk-scarf", es[len(es)-1].Target)
		assert.Contains(t, es[len(es)-1].Detail, st.detail, st.name)
	}

	assert.ErrorIs(t, db.MovePicture(ctx, scarf.ID, other, -1, audit), ErrNotFound, "another product's picture")
	assert.ErrorIs(t, db.DeletePicture(ctx, scarf.ID, other, audit), ErrNotFound, "another product's picture")
	assert.ErrorIs(t, db.DeletePicture(ctx, scarf.ID, 9999, audit), ErrNotFound)
	assert.ErrorIs(t, db.MovePicture(ctx, 9999, a, 1, audit), ErrNotFound)

	require.NoError(t, db.DeletePicture(ctx, scarf.ID, b, AuditEntry{Staff: "ann", Action: "picture_delete"}))
	assert.Equal(t, []uint{a, c}, pictureOrder(t, db, scarf.ID), "the pictures after it move up")
	for _, f := range pictureFiles("b") {
		_, err := db.PictureFileByHash(ctx, f.Hash)
		assert.ErrorIs(t, err, ErrNotFound, "its files are gone")
	}
	es := pictureAudits(t, db)
	assert.Equal(t, "picture_delete", es[len(es)-1].Action)
	assert.Contains(t, es[len(es)-1].Detail, `at position 2: alt "a b"`)
	assert.Equal(t, []uint{other}, pictureOrder(t, db, mug.ID), "other products keep theirs")

	// Deleted, the same picture can be uploaded again.
	again := addPicture(t, db, scarf.ID, "b")
	assert.Equal(t, 3, again.Position)
}

func TestPicturesGoWithTheirProduct(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	beanie := product(t, db, "wool-beanie")
	addPicture(t, db, beanie.ID, "beanie")
	require.NoError(t, db.Gorm().Delete(&Product{}, beanie.ID).Error)
	assert.Zero(t, countRows(t, db, &Picture{}))
	assert.Zero(t, countRows(t, db, &PictureFile{}))
	_, err := db.PictureFileByHash(ctx, pictureFiles("beanie")[0].Hash)
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestPicturesConcurrently: uploads to one product at once get distinct
// places; one picture uploaded to two products at once is stored once.
func TestPicturesConcurrently(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	scarf, mug := product(t, db, "silk-scarf"), product(t, db, "ceramic-mug")

	const uploads = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range uploads {
		wg.Go(func() {
			<-start
			_, err := db.AddPicture(ctx, scarf.ID, "", pictureFiles("same-product-"+string(rune('a'+i))), AuditEntry{Action: "picture_add"})
			assert.NoError(t, err)
		})
	}
	var mu sync.Mutex
	outcomes := map[string]int{}
	for _, id := range []uint{scarf.ID, mug.ID, scarf.ID, mug.ID} {
		wg.Go(func() {
			<-start
			_, err := db.AddPicture(ctx, id, "", pictureFiles("twice"), AuditEntry{Action: "picture_add"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				outcomes["stored"]++
			case errors.Is(err, ErrDuplicatePicture):
				outcomes["duplicate"]++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	assert.Equal(t, map[string]int{"stored": 1, "duplicate": 3}, outcomes)
	order := append(pictureOrder(t, db, scarf.ID), pictureOrder(t, db, mug.ID)...)
	assert.Len(t, order, uploads+1)
	assert.EqualValues(t, 2*(uploads+1), countRows(t, db, &PictureFile{}))
}
