package activities_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/wabascrm/scrm/activities"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/cases"
	"github.com/wabascrm/scrm/worker/testenv"
)

// storeUpdater plays the CaseWorkflow's part: each update runs the store
// method the workflow's activity would, with the workflow's validator rules.
type storeUpdater struct{ st cases.CaseStore }

func (u storeUpdater) Update(ctx context.Context, id int64, name string, arg any) error {
	switch name {
	case cases.CaseUpdateRecall:
		s, err := u.st.Visible(ctx, models.Principal{AllScope: true}, id)
		if err != nil {
			return err
		}
		if s.Status == cases.CaseExited {
			return models.Errorf(models.EConflict, "case %d has exited", id)
		}
		if s.AgentID == nil {
			return models.Errorf(models.EConflict, "case is not assigned")
		}
		a := arg.(cases.CaseRecall)
		_, err = u.st.Recall(ctx, cases.CaseChange{CaseID: id, Reason: a.Reason, By: a.By})
		return err
	case cases.CaseUpdateAssign:
		a := arg.(cases.CaseAssign)
		_, err := u.st.Assign(ctx, cases.CaseChange{CaseID: id, AgentID: a.AgentID, By: a.By})
		return err
	}
	return fmt.Errorf("unexpected update %s", name)
}

// Recalling all cases of a disabled agent on real PostgreSQL: they go to
// the other members by round robin, loads and contact ownership follow.
func TestRedistributeDisabledAgent(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	st := cases.CaseStore{DB: db, Events: models.EventStore{DB: db}}
	var team int64
	if err := db.Raw(`INSERT INTO teams (name) VALUES ('C') RETURNING id`).Scan(&team).Error; err != nil {
		t.Fatal(err)
	}
	var ag []int64
	if err := db.Raw(`WITH a AS (INSERT INTO agents (name, email, password_hash, role_id, max_cases)
		SELECT 'r'||g, 'r'||g||'@x.id', 'x', (SELECT min(id) FROM roles), 100 FROM generate_series(1, 3) g RETURNING id)
		INSERT INTO team_members (team_id, agent_id) SELECT ?, id FROM a RETURNING agent_id`, team).Scan(&ag).Error; err != nil {
		t.Fatal(err)
	}
	var contact int64
	db.Raw(`INSERT INTO contacts (phone_e164) VALUES ('+62812000') RETURNING id`).Scan(&contact)
	var ids []int64
	for i := range 12 {
		var cp *int64
		if i == 0 {
			cp = &contact
		}
		c, err := st.Create(ctx, 0, cases.CaseInput{Reference: fmt.Sprint("D", i), TeamID: team, ContactID: cp})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	if _, err := st.AutoAssignBatch(ctx, team, ids); err != nil {
		t.Fatal(err)
	}
	victim := ag[0]
	db.Exec(`UPDATE agents SET status = 'disabled' WHERE id = ?`, victim)

	bulk := &activities.CaseBulk{Store: st, Cases: storeUpdater{st}}
	page, err := bulk.ListOpenCases(ctx, activities.RedistributePage{AgentID: victim, Limit: 100})
	if err != nil || len(page) != 4 {
		t.Fatalf("victim's cases: %v %v", page, err)
	}
	for _, id := range page {
		o, err := bulk.RedistributeCase(ctx, activities.RedistributeOne{CaseID: id, By: 1})
		if err != nil || !o.Recalled || o.AgentID == 0 || o.AgentID == victim {
			t.Fatalf("case %d: %+v %v", id, o, err)
		}
	}
	var left, loads int64
	db.Raw(`SELECT count(*) FROM cases WHERE agent_id = ? AND status <> 'exited'`, victim).Scan(&left)
	db.Raw(`SELECT n FROM case_loads WHERE agent_id = ?`, victim).Scan(&loads)
	if left != 0 || loads != 0 {
		t.Fatalf("victim still holds %d (load %d)", left, loads)
	}
	var n1, n2, owner int64
	db.Raw(`SELECT count(*) FROM cases WHERE agent_id = ?`, ag[1]).Scan(&n1)
	db.Raw(`SELECT count(*) FROM cases WHERE agent_id = ?`, ag[2]).Scan(&n2)
	if n1 != 6 || n2 != 6 {
		t.Fatalf("spread %d/%d", n1, n2)
	}
	db.Raw(`SELECT COALESCE(owner_agent_id, 0) FROM contacts WHERE id = ?`, contact).Scan(&owner)
	if owner == victim || owner == 0 {
		t.Fatalf("contact owner %d", owner)
	}
	// Again: nothing of the victim's is left; an exited case is skipped.
	if page, _ := bulk.ListOpenCases(ctx, activities.RedistributePage{AgentID: victim, Limit: 100}); len(page) != 0 {
		t.Fatalf("left: %v", page)
	}
	if _, err := st.Exit(ctx, cases.CaseChange{CaseID: ids[1], Reason: "paid"}); err != nil {
		t.Fatal(err)
	}
	if o, err := bulk.RedistributeCase(ctx, activities.RedistributeOne{CaseID: ids[1]}); err != nil || !o.Skipped {
		t.Fatalf("exited: %+v %v", o, err)
	}
}

// Redistributing a team whose agents are all still active never hands a
// case straight back to the agent it was taken from: with two members every
// case changes hands, with one the cases stay pooled for someone else.
func TestRedistributeNeverReturnsToSameAgent(t *testing.T) {
	t.Parallel()
	db := testenv.NewDB(t).Gorm
	ctx := context.Background()
	st := cases.CaseStore{DB: db, Events: models.EventStore{DB: db}}
	var team int64
	if err := db.Raw(`INSERT INTO teams (name) VALUES ('R') RETURNING id`).Scan(&team).Error; err != nil {
		t.Fatal(err)
	}
	var ag []int64
	if err := db.Raw(`WITH a AS (INSERT INTO agents (name, email, password_hash, role_id, max_cases)
		SELECT 's'||g, 's'||g||'@x.id', 'x', (SELECT min(id) FROM roles), 100 FROM generate_series(1, 2) g RETURNING id)
		INSERT INTO team_members (team_id, agent_id) SELECT ?, id FROM a RETURNING agent_id`, team).Scan(&ag).Error; err != nil {
		t.Fatal(err)
	}
	var ids []int64
	before := map[int64]int64{}
	for i := range 6 {
		c, err := st.Create(ctx, 0, cases.CaseInput{Reference: fmt.Sprint("R", i), TeamID: team})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	got, err := st.AutoAssignBatch(ctx, team, ids)
	if err != nil || len(got) != 6 {
		t.Fatalf("assign: %v %v", got, err)
	}
	for id, a := range got {
		before[id] = a
	}
	bulk := &activities.CaseBulk{Store: st, Cases: storeUpdater{st}}
	for _, id := range ids {
		o, err := bulk.RedistributeCase(ctx, activities.RedistributeOne{CaseID: id, By: 1})
		if err != nil || !o.Recalled || o.AgentID == 0 || o.AgentID == before[id] {
			t.Fatalf("case %d was with %d: %+v %v", id, before[id], o, err)
		}
	}
	// A team of one: nobody else, so the case waits in the pool.
	db.Exec(`DELETE FROM team_members WHERE agent_id = ?`, ag[1])
	var mine []int64
	db.Raw(`SELECT id FROM cases WHERE agent_id = ? ORDER BY id`, ag[0]).Scan(&mine)
	if len(mine) == 0 {
		t.Fatal("agent 1 holds no case")
	}
	o, err := bulk.RedistributeCase(ctx, activities.RedistributeOne{CaseID: mine[0], By: 1})
	if err != nil || !o.Recalled || o.AgentID != 0 {
		t.Fatalf("team of one: %+v %v", o, err)
	}
	var status string
	db.Raw(`SELECT status FROM cases WHERE id = ?`, mine[0]).Scan(&status)
	if status != cases.CasePooled {
		t.Fatalf("status %s, want pooled", status)
	}
}
