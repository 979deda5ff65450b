-- The batches of one assessment site (a school head's /pending) found through an index, not by
-- reading every batch: the cost follows what the viewer sees as the lists of many seasons pile up.
CREATE INDEX batch_site ON batch(site_id);
