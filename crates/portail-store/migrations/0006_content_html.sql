-- Content pages become HTML written in the back office (TP-6): the plain-text bodies of
-- earlier versions turn into escaped paragraphs (blank lines separate them), and the separate
-- video address becomes an embed marker at the end of both bodies, the form the editor stores.
UPDATE content_pages SET
    body_en = '<p>' || replace(replace(replace(replace(body_en, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                               char(10) || char(10), '</p><p>') || '</p>',
    body_fr = '<p>' || replace(replace(replace(replace(body_fr, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'),
                               char(10) || char(10), '</p><p>') || '</p>';
UPDATE content_pages SET
    body_en = body_en || '<figure data-integration="video" data-src="'
              || replace(replace(video_url, '&', '&amp;'), '"', '&quot;') || '"></figure>',
    body_fr = body_fr || '<figure data-integration="video" data-src="'
              || replace(replace(video_url, '&', '&amp;'), '"', '&quot;') || '"></figure>'
    WHERE video_url IS NOT NULL;
ALTER TABLE content_pages DROP COLUMN video_url;
-- When the page was last saved, shown in the back office list.
ALTER TABLE content_pages ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
