-- X engagement topics a workspace configures (the seed's reply suggestions): what to
-- search for and how to answer, in the operator's order.
CREATE TABLE reply_topics (
    workspace_id uuid    NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    topic        text    NOT NULL,
    search_query text    NOT NULL,
    draft_reply  text    NOT NULL,
    context      text    NOT NULL DEFAULT '',
    PRIMARY KEY (workspace_id, position)
);
