package reports

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// RatePrefix maps a number prefix (country calling code, digits) to a market.
type RatePrefix struct {
	Prefix string `json:"prefix"`
	Market string `json:"market"`
}

// RatePrice is the price in IDR of one message of a pricing category in a
// market. Market "default" prices numbers no prefix matches.
type RatePrice struct {
	Market   string  `json:"market"`
	Category string  `json:"category"`
	PriceIDR float64 `json:"priceIdr" gorm:"column:price_idr"`
}

// RateCard is the configurable rate card. A message is priced once, when
// its first status with Meta's pricing object arrives; changing the card
// prices later messages, not the ones already counted.
type RateCard struct {
	Prefixes []RatePrefix `json:"prefixes"`
	Prices   []RatePrice  `json:"prices"`
}

var (
	prefixRe   = regexp.MustCompile(`^[0-9]{1,6}$`)
	categoryRe = regexp.MustCompile(`^[a-z_]{1,40}$`)
)

// MaxPriceIDR bounds one message's price (a typo guard).
const MaxPriceIDR = 1_000_000

// Normal checks a rate card and returns it normalised (lower-case
// categories, trimmed markets, prices in milli-rupiah precision).
func (rc RateCard) Normal() (RateCard, error) {
	out := RateCard{Prefixes: []RatePrefix{}, Prices: []RatePrice{}}
	if len(rc.Prices) == 0 {
		// An empty card would price every message at 0 without a word.
		return RateCard{}, models.FieldError(models.EInvalid, "prices", "a rate card needs at least one price")
	}
	seenP := map[string]bool{}
	for i, p := range rc.Prefixes {
		p.Prefix, p.Market = strings.TrimPrefix(strings.TrimSpace(p.Prefix), "+"), strings.TrimSpace(p.Market)
		field := fmt.Sprintf("prefixes[%d]", i)
		if !prefixRe.MatchString(p.Prefix) {
			return RateCard{}, models.FieldError(models.EInvalid, field+".prefix", "prefix must be 1-6 digits (a country calling code like 62)")
		}
		if p.Market == "" || len(p.Market) > 40 {
			return RateCard{}, models.FieldError(models.EInvalid, field+".market", "market is required (at most 40 characters)")
		}
		if seenP[p.Prefix] {
			return RateCard{}, models.FieldError(models.EInvalid, field+".prefix", "prefix %s is listed twice", p.Prefix)
		}
		seenP[p.Prefix] = true
		out.Prefixes = append(out.Prefixes, p)
	}
	seen := map[string]bool{}
	for i, p := range rc.Prices {
		p.Market, p.Category = strings.TrimSpace(p.Market), strings.ToLower(strings.TrimSpace(p.Category))
		field := fmt.Sprintf("prices[%d]", i)
		if p.Market == "" || len(p.Market) > 40 {
			return RateCard{}, models.FieldError(models.EInvalid, field+".market", "market is required (at most 40 characters)")
		}
		if !categoryRe.MatchString(p.Category) {
			return RateCard{}, models.FieldError(models.EInvalid, field+".category", "category must be a pricing category like marketing or utility")
		}
		if math.IsNaN(p.PriceIDR) || p.PriceIDR < 0 || p.PriceIDR > MaxPriceIDR {
			return RateCard{}, models.FieldError(models.EInvalid, field+".priceIdr", "price must be between 0 and %d IDR", MaxPriceIDR)
		}
		k := p.Market + "/" + p.Category
		if seen[k] {
			return RateCard{}, models.FieldError(models.EInvalid, field, "%s %s is listed twice", p.Market, p.Category)
		}
		seen[k] = true
		p.PriceIDR = math.Round(p.PriceIDR*1000) / 1000
		out.Prices = append(out.Prices, p)
	}
	return out, nil
}

// RateCard reads the rate card.
func (s ReportStore) RateCard(ctx context.Context) (RateCard, error) {
	rc := RateCard{Prefixes: []RatePrefix{}, Prices: []RatePrice{}}
	db := s.DB.WithContext(ctx)
	if err := db.Raw(`SELECT prefix, market FROM rate_card_prefixes ORDER BY prefix`).Scan(&rc.Prefixes).Error; err != nil {
		return rc, fmt.Errorf("read rate card: %w", err)
	}
	if err := db.Raw(`SELECT market, category, price_milli / 1000.0 AS price_idr FROM rate_card ORDER BY market, category`).Scan(&rc.Prices).Error; err != nil {
		return rc, fmt.Errorf("read rate card: %w", err)
	}
	return rc, nil
}

// ReplaceRateCard stores a new rate card in one transaction.
func (s ReportStore) ReplaceRateCard(ctx context.Context, rc RateCard) (RateCard, error) {
	rc, err := rc.Normal()
	if err != nil {
		return RateCard{}, err
	}
	sort.Slice(rc.Prefixes, func(i, j int) bool { return rc.Prefixes[i].Prefix < rc.Prefixes[j].Prefix })
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM rate_card_prefixes`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM rate_card`).Error; err != nil {
			return err
		}
		for _, p := range rc.Prefixes {
			if err := tx.Exec(`INSERT INTO rate_card_prefixes (prefix, market) VALUES (?, ?)`, p.Prefix, p.Market).Error; err != nil {
				return err
			}
		}
		for _, p := range rc.Prices {
			if err := tx.Exec(`INSERT INTO rate_card (market, category, price_milli) VALUES (?, ?, ?)`,
				p.Market, p.Category, int64(math.Round(p.PriceIDR*1000))).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RateCard{}, fmt.Errorf("store rate card: %w", err)
	}
	return s.RateCard(ctx)
}
