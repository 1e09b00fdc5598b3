-- +goose Up
-- origin says where a message came from when it was not this product:
-- 'business_app' for a coexistence echo (smb_message_echoes: the business
-- wrote from the WhatsApp Business app), 'history' for a message synced by
-- the history webhook at onboarding. '' is every other message.
ALTER TABLE messages ADD COLUMN origin TEXT NOT NULL DEFAULT ''
    CHECK (origin IN ('', 'business_app', 'history'));
-- The click-to-WhatsApp ad the customer last came from (referral of the
-- inbound message: source_id, headline, ...), when, and the free entry
-- point it opened: 72 h of free messages (templates too) from the
-- business's first reply within 24 h of the referral message
-- (models/window.go, EntryPointFrom).
ALTER TABLE conversations ADD COLUMN referral JSONB;
ALTER TABLE conversations ADD COLUMN referral_at TIMESTAMPTZ;
ALTER TABLE conversations ADD COLUMN entry_point_until TIMESTAMPTZ;

-- +goose Down
ALTER TABLE conversations DROP COLUMN entry_point_until;
ALTER TABLE conversations DROP COLUMN referral_at;
ALTER TABLE conversations DROP COLUMN referral;
ALTER TABLE messages DROP COLUMN origin;
