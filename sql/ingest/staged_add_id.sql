-- Give a staged items CSV without an id column an empty one, so keys can be derived from the text.
ALTER TABLE staged_csv ADD COLUMN id VARCHAR;
