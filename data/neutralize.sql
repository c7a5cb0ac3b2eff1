-- A neutralized copy (odoo-bin neutralize, or a database duplicated for
-- tests) must never act for the organisation: no exchange with its GIS
-- ZhKKh cabinet, no message to its residents in MAX.

-- GIS ZhKKh connections archived: no import, no answer, no file transfer.
UPDATE gis_zhkh_backend
   SET active = false;

-- MAX bots paused with the production token replaced: a copy reaches no
-- resident, even when someone presses Resume sending (MAX refuses the
-- token). The reason is shown to the copy's (Russian) users as it is.
UPDATE mail_gateway
   SET token = 'neutralized-' || id,
       max_subscribed = false,
       max_use_polling = false,
       max_poll_marker = NULL
 WHERE gateway_type = 'max';
INSERT INTO max_sending (gateway_id, next_slot, paused, paused_reason, paused_at,
                         create_date, write_date)
     SELECT id, 0, true,
            'Копия базы нейтрализована: бот не пишет жителям. Для проверки '
            'введите токен тестового бота и нажмите «Возобновить отправку».',
            now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
       FROM mail_gateway
      WHERE gateway_type = 'max'
ON CONFLICT (gateway_id) DO UPDATE
        SET paused = true,
            paused_reason = EXCLUDED.paused_reason,
            paused_at = EXCLUDED.paused_at;

-- Jobs that would call GIS ZhKKh or MAX: cancelled, not run by the copy's
-- job runner.
UPDATE queue_job
   SET state = 'cancelled',
       date_cancelled = now() AT TIME ZONE 'UTC'
 WHERE state IN ('wait_dependencies', 'pending', 'enqueued')
   AND (channel IN ('root.gis_zhkh', 'root.gis_zhkh_files', 'root.max',
                    'root.max_send')
        OR model_name IN ('gis.zhkh.backend', 'gis.zhkh.message',
                          'gis.zhkh.operation', 'gis.zhkh.file',
                          'max.update', 'max.outbox', 'max.dialog',
                          'max.broadcast'));
