-- 0026: one short question at a time, at natural moments (issue 24, part 2): after a
-- redemption, on the account page. A member's answers themselves go where "What you love"
-- keeps them (member_likes, member_profiles, with given_via = 'question'); this table remembers
-- when each question was last answered or put off, so it is not asked again for a while
-- (app/src/account/ssr/questions.rs says how long), and lets staff see how many members
-- answered each.
CREATE TABLE member_questions (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    question text NOT NULL CONSTRAINT member_questions_known CHECK (question IN ('types', 'interests', 'birthday')),
    answered_at timestamptz,
    dismissed_at timestamptz,
    PRIMARY KEY (account_id, question),
    CONSTRAINT member_questions_something_happened CHECK (num_nonnulls(answered_at, dismissed_at) > 0)
);

-- Staff's counts per question.
CREATE INDEX member_questions_by_question ON member_questions (question);
