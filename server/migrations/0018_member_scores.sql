-- What each member is worth, as the insights job last computed it: recency, frequency and
-- money (RFM) with their segment, and the BG/NBD and Gamma-Gamma forecasts. In a table of its
-- own, never in `accounts`, whose rows the redemption writer locks. There is deliberately no
-- foreign key to `accounts`: inserting a row that references an account takes a KEY SHARE lock
-- on it, which waits behind the writer's FOR UPDATE at drop time. A score without its account
-- is harmless (accounts are never deleted) and is replaced on the next run.
CREATE TABLE member_scores (
    account_id bigint PRIMARY KEY,
    -- The cut-off the scores are as of (the store's calendar day).
    as_of date NOT NULL,
    -- x: purchase days after the first; t_x and T in weeks (the models' unit).
    frequency integer NOT NULL CONSTRAINT member_scores_frequency_non_negative CHECK (frequency >= 0),
    recency_weeks double precision NOT NULL,
    age_weeks double precision NOT NULL,
    last_purchase date NOT NULL,
    -- The mean amount of the repeat purchase days, in cents (0 with no repeat purchase).
    monetary_cents bigint NOT NULL,
    r_score smallint NOT NULL CONSTRAINT member_scores_r_score_range CHECK (r_score BETWEEN 1 AND 5),
    f_score smallint NOT NULL CONSTRAINT member_scores_f_score_range CHECK (f_score BETWEEN 1 AND 5),
    m_score smallint NOT NULL CONSTRAINT member_scores_m_score_range CHECK (m_score BETWEEN 1 AND 5),
    segment text NOT NULL CONSTRAINT member_scores_segment_known CHECK (segment IN
        ('champions', 'loyal', 'potential_loyalist', 'new', 'need_attention', 'at_risk', 'hibernating', 'lost')),
    -- The forecasts; NULL while the store has too little history for the models to fit.
    expected_purchases_90d double precision,
    p_alive double precision CONSTRAINT member_scores_p_alive_range CHECK (p_alive BETWEEN 0 AND 1),
    expected_spend_cents bigint,
    clv_cents bigint
);

CREATE INDEX member_scores_by_clv ON member_scores (clv_cents DESC NULLS LAST);

-- A copy of every member's scores once a week, kept for a year, so a trend ("P(alive)
-- falling") has a history.
CREATE TABLE member_score_snapshots (
    week date NOT NULL,
    LIKE member_scores,
    PRIMARY KEY (account_id, week)
);

-- Each fit of the models: its parameters (time unit: weeks), log-likelihood and how many
-- members it saw, for staff to judge the forecast by.
CREATE TABLE model_fits (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of date NOT NULL,
    fitted_at timestamptz NOT NULL DEFAULT now(),
    model text NOT NULL CONSTRAINT model_fits_model_known CHECK (model IN ('bg_nbd', 'gamma_gamma')),
    params jsonb NOT NULL,
    log_likelihood double precision NOT NULL,
    members bigint NOT NULL,
    seconds double precision NOT NULL
);

-- Lifetime value: the horizon in months and the monthly discount rate (0.01 = 1% a month).
ALTER TABLE store_settings
    ADD COLUMN clv_horizon_months integer NOT NULL DEFAULT 12
        CONSTRAINT store_settings_clv_horizon_range CHECK (clv_horizon_months BETWEEN 1 AND 120),
    ADD COLUMN clv_monthly_discount double precision NOT NULL DEFAULT 0.01
        CONSTRAINT store_settings_clv_discount_range CHECK (clv_monthly_discount >= 0 AND clv_monthly_discount < 1);
