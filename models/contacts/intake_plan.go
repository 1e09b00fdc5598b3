package contacts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"gorm.io/gorm"
)

// rowPending marks a row that passed every check and waits for its contact
// upsert (a transient state, never stored).
const rowPending = "pending"

// dedupeKey is what makes two rows of one job the same. A debtor with two
// loans is two case rows on one phone, so case rows are the same only when
// they carry the same reference; other rows are the same by phone.
func dedupeKey(r IntakeRecord, e164 string) string {
	if r.HasCase() {
		if ref := strings.TrimSpace(r.CaseRef); ref != "" {
			return "case:" + ref
		}
	}
	return "phone:" + e164
}

func duplicateReason(key string, first int) string {
	if strings.HasPrefix(key, "case:") {
		return "same case reference as row " + strconv.Itoa(first)
	}
	return "same phone as row " + strconv.Itoa(first)
}

// caseFields parses an intake row's case amount (whole rupiah: "1.500.000",
// "1500000", "Rp 750,000"; "Rp 1,5 jt" is refused) and due date (YYYY-MM-DD
// or DD/MM/YYYY; impossible dates such as 31/02/2026 are refused).
func caseFields(r IntakeRecord) (amount int64, due string, err error) {
	if a := strings.TrimSpace(r.Amount); a != "" {
		digits := strings.NewReplacer(".", "", ",", "", " ", "").Replace(strings.TrimPrefix(strings.TrimPrefix(a, "Rp"), "IDR"))
		n, perr := strconv.ParseInt(digits, 10, 64)
		if perr != nil || n < 0 {
			return 0, "", models.FieldError(models.EInvalid, "amount", "amount %q is not a whole number of rupiah", a)
		}
		amount = n
	}
	if d := strings.TrimSpace(r.DueDate); d != "" {
		t, perr := time.Parse(time.DateOnly, d)
		if perr != nil {
			if t, perr = time.Parse("02/01/2006", d); perr != nil {
				return 0, "", models.FieldError(models.EInvalid, "dueDate", "due date %q is not a real date as YYYY-MM-DD or DD/MM/YYYY", d)
			}
		}
		due = t.Format(time.DateOnly)
	}
	return amount, due, nil
}

// intakeLookups resolves a chunk's references (agents, teams, existing
// cases) in a few queries, for the planning every import and dry run share.
type intakeLookups struct {
	agents  map[string]*int64 // id or email -> agent id (nil: unknown)
	teams   map[string]int64  // id or name -> team id (0: unknown)
	members map[[2]int64]bool // (team, agent) -> active member
	cases   map[string]existingCase
}

// existingCase is a case already stored under a reference an import uses.
type existingCase struct {
	TeamID    int64
	PhoneE164 string
}

func (s IntakeStore) lookups(ctx context.Context, db *gorm.DB, agents, teams, refs map[string]bool) (intakeLookups, error) {
	l := intakeLookups{agents: map[string]*int64{}, teams: map[string]int64{}, members: map[[2]int64]bool{}, cases: map[string]existingCase{}}
	for ref := range agents {
		l.agents[ref] = nil
	}
	if err := s.resolveAgents(ctx, db, l.agents); err != nil {
		return l, err
	}
	for ref := range teams {
		id, err := resolveTeam(ctx, db, ref)
		if err != nil {
			return l, err
		}
		l.teams[ref] = id
	}
	var agentIDs []int64
	for _, id := range l.agents {
		if id != nil {
			agentIDs = append(agentIDs, *id)
		}
	}
	if len(agentIDs) > 0 {
		var ms []struct{ TeamID, AgentID int64 }
		if err := db.WithContext(ctx).Raw(`SELECT tm.team_id, tm.agent_id FROM team_members tm JOIN agents a ON a.id = tm.agent_id
			WHERE tm.agent_id = ANY(?::bigint[]) AND a.status = ?`, models.Int64List(agentIDs), models.AgentActive).Scan(&ms).Error; err != nil {
			return l, fmt.Errorf("intake agents' teams: %w", err)
		}
		for _, m := range ms {
			l.members[[2]int64{m.TeamID, m.AgentID}] = true
		}
	}
	if len(refs) > 0 {
		list := make([]string, 0, len(refs))
		for r := range refs {
			list = append(list, r)
		}
		var got []struct {
			Reference string
			TeamID    int64
			PhoneE164 *string
		}
		if err := db.WithContext(ctx).Raw(`SELECT c.reference, c.team_id, ct.phone_e164 FROM cases c LEFT JOIN contacts ct ON ct.id = c.contact_id
			WHERE c.reference = ANY(?::text[])`, models.StringList(list)).Scan(&got).Error; err != nil {
			return l, fmt.Errorf("intake case references: %w", err)
		}
		for _, g := range got {
			ec := existingCase{TeamID: g.TeamID}
			if g.PhoneE164 != nil {
				ec.PhoneE164 = *g.PhoneE164
			}
			l.cases[g.Reference] = ec
		}
	}
	return l, nil
}

// resolveTeam maps a team reference (id or name) to its id, 0 when none.
func resolveTeam(ctx context.Context, db *gorm.DB, ref string) (int64, error) {
	var id int64
	q := `SELECT COALESCE(MAX(id), 0) FROM teams WHERE lower(name) = lower(?)`
	var arg any = ref
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		q, arg = `SELECT COALESCE(MAX(id), 0) FROM teams WHERE id = ?`, n
	}
	if err := db.WithContext(ctx).Raw(q, arg).Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("resolve team %q: %w", ref, err)
	}
	return id, nil
}

// caseCheck is every check of a row's case part that the case import will
// make, so that a dry run and the import agree: team, amount, due date,
// reference, the agent's membership of the team, and a reference that
// belongs to another contact or team.
func (l intakeLookups) caseCheck(r IntakeRecord, e164 string) error {
	team := strings.TrimSpace(r.Team)
	if team == "" {
		return models.FieldError(models.EInvalid, "team", "a case row needs a team (id or name)")
	}
	teamID := l.teams[team]
	if teamID == 0 {
		return models.FieldError(models.EUnprocessable, "team", "no team %q", team)
	}
	amount, due, err := caseFields(r)
	if err != nil {
		return err
	}
	in := cases.CaseInput{Reference: strings.TrimSpace(r.CaseRef), Amount: amount, DueDate: due, TeamID: teamID}
	if _, _, _, err := in.Validate(); err != nil {
		return err
	}
	if a := strings.TrimSpace(r.Agent); a != "" {
		if id := l.agents[a]; id != nil && !l.members[[2]int64{teamID, *id}] {
			return models.FieldError(models.EUnprocessable, "agent", "agent %q is not an active member of team %q", a, team)
		}
	}
	if ec, ok := l.cases[in.Reference]; ok && (ec.TeamID != teamID || ec.PhoneE164 != e164) {
		return models.FieldError(models.EConflict, "caseRef", "case reference %q belongs to another customer or team", in.Reference)
	}
	return nil
}

// plan decides each row's fate without writing: the checks of the row
// itself, its agent, its case part, and duplicates within the job. seen
// holds the dedupe keys earlier rows of the job claimed (row number of the
// first); plan adds the keys its rows claim. Rows that pass are left
// rowPending for the contact upsert; a row whose case part fails keeps its
// contact (caseErr) and becomes an error after the upsert.
//
// The import (ProcessChunk) and the dry run (DryRun) both call it, so they
// report the same outcome for the same file.
func (s IntakeStore) plan(ctx context.Context, db *gorm.DB, results []RowResult, seen func(keys []string) (map[string]int, error)) error {
	agents, teams, refs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var keys []string
	for i := range results {
		res := &results[i]
		if res.Result != "" {
			continue
		}
		res.Result, res.Reason, res.PhoneE164 = classifyRecord(res.record)
		if res.Result != "" {
			continue
		}
		res.key = dedupeKey(res.record, res.PhoneE164)
		keys = append(keys, res.key)
		if a := strings.TrimSpace(res.record.Agent); a != "" {
			agents[a] = true
		}
		if res.record.HasCase() {
			if t := strings.TrimSpace(res.record.Team); t != "" {
				teams[t] = true
			}
			if ref := strings.TrimSpace(res.record.CaseRef); ref != "" {
				refs[ref] = true
			}
		}
	}
	l, err := s.lookups(ctx, db, agents, teams, refs)
	if err != nil {
		return err
	}
	claimed, err := seen(keys)
	if err != nil {
		return err
	}
	for i := range results {
		res := &results[i]
		if res.Result != "" {
			continue
		}
		if a := strings.TrimSpace(res.record.Agent); a != "" {
			if l.agents[a] == nil {
				res.Result, res.Reason = RowError, fmt.Sprintf("agent %q not found", a)
				continue
			}
			if !res.record.HasCase() {
				// A contact row's agent owns the contact; a case row's agent
				// gets the case (the cases phase), which moves ownership with it.
				res.owner = l.agents[a]
			}
		}
		if first, dup := claimed[res.key]; dup {
			res.Result, res.Reason = RowDuplicate, duplicateReason(res.key, first)
			continue
		}
		if res.record.HasCase() {
			if err := l.caseCheck(res.record, res.PhoneE164); err != nil {
				res.caseErr = "case: " + errMessage(err)
			}
		}
		if res.caseErr == "" {
			claimed[res.key] = res.RowNo
		} else {
			res.key = "" // an error row claims nothing: a corrected row later in the file is not its duplicate
		}
		res.Result = rowPending
	}
	return nil
}

// settle gives a planned row its outcome once its contact is known to be
// new (created) or not: its contact result, and its final result.
func (r *RowResult) settle(created bool) {
	r.ContactResult = RowUpdated
	if created {
		r.ContactResult = RowCreated
	}
	switch {
	case r.caseErr != "":
		r.Result, r.Reason = RowError, r.caseErr
	case r.record.HasCase():
		r.Result, r.Reason = RowCasePending, "contact saved; case waits for the cases import"
	default:
		r.Result = r.ContactResult
	}
}

// tally counts results the way the job's counters do: created and updated
// count contacts (a case row creates or updates its contact too), the other
// counters count rows by their result.
func tally(results []RowResult) IntakeProgress {
	var p IntakeProgress
	for _, r := range results {
		switch r.Result {
		case "", rowPending:
			continue
		case RowDuplicate:
			p.Duplicate++
		case RowError:
			p.Errors++
		case RowCasePending:
			p.CasePending++
		case RowCaseCreated:
			p.CasesCreated++
		case RowEmpty:
			p.Empty++
		}
		switch r.ContactResult {
		case RowCreated:
			p.Created++
		case RowUpdated:
			p.Updated++
		}
		p.Processed++
	}
	return p
}
