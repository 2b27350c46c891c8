-- Issue 20: which point lots each redemption drew on, and how much from each, so that
-- cancelling gives the points back to those same lots with their original expiry. (A refund
-- with a fresh expiry let a member renew expiring points forever by redeeming and cancelling.)
-- Written by the redemption batch in the statement that draws on the lots; redemptions made
-- before this table existed have no rows and are refunded as before.
CREATE TABLE redemption_lots (
    redemption_id bigint NOT NULL REFERENCES redemptions (id) ON DELETE CASCADE,
    lot_id bigint NOT NULL REFERENCES point_lots (id),
    points bigint NOT NULL CONSTRAINT redemption_lots_points_positive CHECK (points > 0),
    PRIMARY KEY (redemption_id, lot_id)
);
