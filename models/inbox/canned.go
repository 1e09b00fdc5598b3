package inbox

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
)

// CannedResponse is a saved reply an agent inserts with /shortcut. It is
// personal (its author's alone), a team's (TeamID: the team's members and
// supervisors), or everyone's.
type CannedResponse struct {
	ID        int64     `json:"id" gorm:"primaryKey"`
	Shortcut  string    `json:"shortcut"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Personal  bool      `json:"personal"`
	TeamID    *int64    `json:"teamId,omitempty"`
	CreatedBy *int64    `json:"createdBy,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

var shortcutRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// CannedResponseStore keeps canned responses.
type CannedResponseStore struct{ DB *gorm.DB }

// visible narrows a query to the responses p may use: everyone's, its own
// personal ones, and those of the teams it belongs to or supervises (all
// teams' for an all-scope principal). Another agent's personal responses
// are nobody else's, whatever their scope.
func visible(p models.Principal) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		teams := append(append([]int64{}, p.TeamIDs...), p.SupervisedTeamIDs...)
		switch {
		case p.AllScope:
			return q.Where("(NOT personal) OR created_by = ?", p.AgentID)
		case len(teams) > 0:
			return q.Where("(NOT personal AND team_id IS NULL) OR (personal AND created_by = ?) OR (NOT personal AND team_id IN ?)", p.AgentID, teams)
		default:
			return q.Where("(NOT personal AND team_id IS NULL) OR (personal AND created_by = ?)", p.AgentID)
		}
	}
}

// mayManage says whether p may create, change or delete c: its own
// personal ones always; a team's or everyone's only with inbox:assign
// (supervisors), a team's only for a team p belongs to or supervises,
// everyone's only for an all-scope principal.
func mayManage(p models.Principal, c CannedResponse) bool {
	switch {
	case c.Personal:
		return c.CreatedBy == nil || *c.CreatedBy == p.AgentID
	case !p.Can(models.PermInboxAssign):
		return false
	case p.AllScope:
		return true
	case c.TeamID != nil:
		return slices.Contains(p.TeamIDs, *c.TeamID) || slices.Contains(p.SupervisedTeamIDs, *c.TeamID)
	}
	return false
}

func (c *CannedResponse) check() error {
	c.Shortcut = strings.TrimPrefix(strings.TrimSpace(c.Shortcut), "/")
	if !shortcutRE.MatchString(c.Shortcut) {
		return models.FieldError(models.EInvalid, "shortcut", "must be 1-32 lowercase letters, digits, _ or -")
	}
	if strings.TrimSpace(c.Body) == "" || len(c.Body) > 4096 {
		return models.FieldError(models.EInvalid, "body", "must be 1-4096 characters")
	}
	if len(c.Title) > 200 {
		return models.FieldError(models.EInvalid, "title", "must be at most 200 characters")
	}
	if c.Personal && c.TeamID != nil {
		return models.FieldError(models.EInvalid, "teamId", "a personal response belongs to no team")
	}
	return nil
}

// Create stores a canned response of p; its shortcut is unique within its
// owner (p for a personal one, the team, or everyone).
func (s CannedResponseStore) Create(ctx context.Context, p models.Principal, c CannedResponse) (CannedResponse, error) {
	if err := c.check(); err != nil {
		return c, err
	}
	c.ID, c.CreatedBy = 0, &p.AgentID
	if !mayManage(p, c) {
		return c, models.Errorf(models.EForbidden, "only a supervisor of the team (inbox:assign) may share responses; keep it personal")
	}
	if err := s.DB.WithContext(ctx).Create(&c).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return c, models.FieldError(models.EConflict, "shortcut", "/%s exists already", c.Shortcut)
		}
		return c, err
	}
	return c, nil
}

// Update changes the shortcut, title or body of a response p may manage.
func (s CannedResponseStore) Update(ctx context.Context, p models.Principal, id int64, shortcut, title, body *string) (CannedResponse, error) {
	var c CannedResponse
	if err := s.DB.WithContext(ctx).Scopes(visible(p)).Take(&c, id).Error; err != nil {
		return c, models.Errorf(models.ENotFound, "canned response %d not found", id)
	}
	if !mayManage(p, c) {
		return c, models.Errorf(models.EForbidden, "only its author or a supervisor of its team may change this response")
	}
	for dst, v := range map[*string]*string{&c.Shortcut: shortcut, &c.Title: title, &c.Body: body} {
		if v != nil {
			*dst = *v
		}
	}
	if err := c.check(); err != nil {
		return c, err
	}
	c.UpdatedAt = time.Now().UTC()
	err := s.DB.WithContext(ctx).Model(&c).Select("shortcut", "title", "body", "updated_at").Updates(&c).Error
	if models.IsUniqueViolation(err) {
		return c, models.FieldError(models.EConflict, "shortcut", "/%s exists already", c.Shortcut)
	}
	return c, err
}

// List returns the responses p may use whose shortcut starts with prefix
// (all when empty), its own personal ones first.
func (s CannedResponseStore) List(ctx context.Context, p models.Principal, prefix string) ([]CannedResponse, error) {
	q := s.DB.WithContext(ctx).Scopes(visible(p)).Order("personal DESC, team_id NULLS LAST, shortcut")
	if prefix = strings.TrimPrefix(prefix, "/"); prefix != "" {
		q = q.Where("shortcut LIKE ?", strings.ReplaceAll(prefix, "_", `\_`)+"%")
	}
	out := []CannedResponse{}
	return out, q.Find(&out).Error
}

// Delete removes one response p may manage. One it may not see answers as
// missing, so another team's or agent's responses are neither deleted nor
// confirmed.
func (s CannedResponseStore) Delete(ctx context.Context, p models.Principal, id int64) error {
	var c CannedResponse
	if err := s.DB.WithContext(ctx).Scopes(visible(p)).Take(&c, id).Error; err != nil {
		return models.Errorf(models.ENotFound, "canned response %d not found", id)
	}
	if !mayManage(p, c) {
		return models.Errorf(models.EForbidden, "only its author or a supervisor of its team may delete this response")
	}
	return s.DB.WithContext(ctx).Delete(&CannedResponse{}, id).Error
}
