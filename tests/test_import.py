# Copyright 2026 The helpdesk_gis_zhkh_max authors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import datetime
import uuid

from odoo.tests import new_test_user, tagged

from ..tools import gis_xml_common, gis_xml_parse
from .common import GisCase, view_fields


@tagged("post_install", "-at_install")
class TestImport(GisCase):
    def test_appeals_become_tickets(self):
        # Auto-assignment would give every ticket to the job's technical user.
        self.company.helpdesk_mgmt_ticket_auto_assign = True
        appeals = self.appeals(6, days=3)
        self.fake.seed(appeals)
        messages = self.run_import()
        window = messages.filtered(lambda m: m.purpose == "window")
        self.assertEqual(window.state, "done")
        self.assertEqual(
            (window.appeal_count, window.created_count, window.failed_count), (6, 6, 0)
        )
        self.assertEqual(window.window_start, self.days_ago(10))
        self.assertEqual(window.window_end, self.today)
        self.assertTrue(gis_xml_common.is_guid(window.ack_guid))
        self.assertEqual(self.backend.last_window_end, self.today)
        self.assertTrue(self.backend.last_success_at)
        # Every request the fake received was valid against the official XSD.
        self.assertTrue(all(ok for _op, ok, _e in self.fake.calls()))

        tickets = self.tickets()
        self.assertEqual(len(tickets), 6)
        appeal = appeals[0]
        ticket = tickets.filtered(lambda t: t.gis_appeal_guid == appeal.guid)
        self.assertEqual(ticket.gis_appeal_number, appeal.number)
        self.assertEqual(ticket.gis_received_date, appeal.create_date)
        self.assertEqual(ticket.gis_deadline, appeal.execution_end_date)
        self.assertEqual(ticket.gis_legal_basis, appeal.npa_requirements)
        self.assertEqual(ticket.gis_theme_code, appeal.theme_code)
        self.assertEqual(ticket.gis_theme_name, appeal.theme_name)
        self.assertEqual(ticket.gis_status, "sent")
        self.assertEqual(ticket.gis_house_id.fias_guid, appeal.fias_house_guid)
        self.assertEqual(ticket.gis_premise_number, appeal.premise_number)
        self.assertIn(appeal.text[:20], ticket.description)
        self.assertIn(appeal.number, ticket.name)
        self.assertEqual(
            ticket.channel_id, self.env.ref("helpdesk_gis_zhkh_max.channel_gis")
        )
        self.assertEqual(ticket.company_id, self.backend.company_id)
        self.assertEqual(ticket.team_id, ticket.gis_theme_id.team_id or self.team)
        self.assertEqual(ticket.partner_id.name, appeal.applicant.full_name)
        self.assertEqual(ticket.partner_id.phone_sanitized, appeal.applicant.phone)
        self.assertEqual(ticket.gis_applicant_phone, appeal.applicant.phone)
        self.assertTrue(ticket.number and ticket.number != "/")
        self.assertFalse(tickets.user_id)

    def test_reimport_changes_nothing(self):
        self.fake.seed(self.appeals(5, days=2))
        self.run_import()
        tickets = self.tickets()
        self.env.flush_all()
        before = {t.id: (t.write_date, len(t.message_ids)) for t in tickets}
        partners = self.env["res.partner"].search_count([])
        messages = self.run_import()
        self.assertEqual(self.tickets(), tickets)
        latest = messages.filtered(lambda m: m.purpose == "window")[:1]
        self.assertEqual((latest.created_count, latest.updated_count), (0, 0))
        self.assertEqual(latest.unchanged_count, 5)
        refresh = messages.filtered(lambda m: m.purpose == "refresh")
        self.assertEqual(refresh.guid_count, 5)
        self.assertEqual(refresh.unchanged_count, 5)
        self.env.flush_all()
        self.assertEqual(
            {t.id: (t.write_date, len(t.message_ids)) for t in tickets}, before
        )
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_window_overlaps_previous_import(self):
        self.backend.last_window_end = self.days_ago(1)
        self.assertEqual(
            self.backend._import_window(),
            (self.days_ago(1 + self.backend.overlap_days), self.today),
        )
        self.backend.last_window_end = False
        self.assertEqual(self.backend._import_window(), (self.days_ago(10), self.today))

    def test_withdrawn_appeal_updates_its_ticket(self):
        appeal = self.appeals()[0]
        self.fake.seed([appeal])
        self.run_import()
        ticket = self.tickets()
        self.assertFalse(ticket.closed)
        self.fake.update_appeal(
            appeal.guid,
            status="withdrawn",
            raw_status="Withdrawn",
            withdrawn=True,
            withdrawn_comment="Вопрос решён",
        )
        messages = self.run_import()
        self.assertEqual(sum(messages.mapped("updated_count")), 1)
        self.assertEqual(self.tickets(), ticket)
        self.assertEqual(ticket.gis_status, "withdrawn")
        self.assertEqual(ticket.gis_withdrawn_comment, "Вопрос решён")
        self.assertEqual(ticket.stage_id, self.backend.withdrawn_stage_id)
        bodies = " ".join(ticket.message_ids.mapped("body"))
        self.assertIn("Вопрос решён", bodies)
        tracked = ticket.message_ids.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "gis_status"
        )
        self.assertEqual(tracked.new_value_char, "Withdrawn")
        # Withdrawn appeals are no longer refreshed: nothing left open in GIS.
        self.assertEqual(self.backend._refresh_guids(), [])

    def test_history_rolled_over_and_answer_posted_once(self):
        appeal = self.appeals()[0]
        self.fake.seed([appeal])
        self.run_import()
        ticket = self.tickets()
        new_deadline = self.today + datetime.timedelta(days=20)
        answerer = str(uuid.uuid4())
        history = [
            gis_xml_parse.HistoryEntry(
                self.today,
                "rolled_over",
                None,
                {
                    "execution_date": new_deadline.isoformat(),
                    "comment": "Нужен выезд подрядной организации",
                    "answerer_guid": answerer,
                },
            ),
            gis_xml_parse.HistoryEntry(
                self.today,
                "answer",
                None,
                {
                    "answer_guid": str(uuid.uuid4()),
                    "answer_number": "A-77",
                    "send_date": self.today.isoformat(),
                    "answerer_guid": answerer,
                    "text": "Стояк заменён",
                    "is_sent": True,
                    "attachments": [],
                },
            ),
            gis_xml_parse.HistoryEntry(
                self.today,
                "assessment",
                None,
                {"result": "not_satisfied", "comment": "Течёт снова"},
            ),
        ]
        self.fake.update_appeal(
            appeal.guid,
            history=history,
            rolled_over=True,
            execution_end_date=new_deadline,
            status="in_work",
            raw_status="InWork",
        )
        notes_before = len(ticket.message_ids)
        self.run_import()
        self.assertEqual(ticket.gis_deadline, new_deadline)
        self.assertTrue(ticket.gis_rolled_over)
        self.assertEqual(ticket.gis_status, "in_work")
        self.assertEqual(ticket.gis_assessment, "not_satisfied")
        self.assertEqual(ticket.gis_assessment_comment, "Течёт снова")
        new_messages = ticket.message_ids[: len(ticket.message_ids) - notes_before]
        bodies = " ".join(new_messages.mapped("body"))
        for text in ("Нужен выезд", "A-77", "Стояк заменён", "Течёт снова"):
            self.assertIn(text, bodies)
        deadline_tracking = new_messages.tracking_value_ids.filtered(
            lambda v: v.field_id.name == "gis_deadline"
        )
        self.assertTrue(deadline_tracking)
        # A further change posts only what is new.
        history.append(
            gis_xml_parse.HistoryEntry(
                self.today, "not_required", None, {"cause": "Дубликат обращения 5"}
            )
        )
        self.fake.update_appeal(appeal.guid, history=list(history))
        count = len(ticket.message_ids)
        self.run_import()
        latest = ticket.message_ids[: len(ticket.message_ids) - count]
        self.assertEqual(len(latest), 1)
        self.assertIn("Дубликат обращения 5", latest.body)
        self.assertNotIn("Стояк заменён", latest.body)

    def test_same_appeal_twice_in_one_answer(self):
        appeal = self.appeals()[0]
        later = dataclasses.replace(appeal, status="in_work", raw_status="InWork")
        stats = self.env["gis.appeal.import"]._import_appeals(
            self.backend, [appeal, later]
        )
        self.assertEqual((stats["created"], stats["duplicates"]), (1, 1))
        self.assertEqual(self.tickets().gis_status, "in_work")

    def test_partner_matching(self):
        # Names that agree with the applicants': a phone or an e-mail finds
        # a contact, names confirm it (see the shared-phone tests).
        existing = self.env["res.partner"].create(
            {
                "name": "Иван Иванов",
                "phone": "+7 916 555-00-01",
                "country_id": self.env.ref("base.ru").id,
            }
        )
        by_mail = self.env["res.partner"].create(
            {"name": "Петров Пётр", "email": "Mail.Resident@Example.com"}
        )
        other_company = self.env["res.company"].create({"name": "Other UK"})
        self.env["res.partner"].create(
            {
                "name": "Private contact of another company",
                "phone": "+79165550003",
                "company_id": other_company.id,
                "country_id": self.env.ref("base.ru").id,
            }
        )
        base = self.appeals(5)
        people = [
            gis_xml_parse.Applicant(
                "person", "Иванов", "Иван", phone="8 (916) 555-00-01"
            ),
            gis_xml_parse.Applicant(
                "person", "Петров", "Пётр", appeal_email="mail.resident@example.com"
            ),
            gis_xml_parse.Applicant("person", "Сидоров", "Сидор", phone="+79165550003"),
            gis_xml_parse.Applicant(
                "person", "Сидоров", "Сидор", phone="+7 916 555 00 03"
            ),
            gis_xml_parse.Applicant("hcs"),
        ]
        appeals = [
            dataclasses.replace(a, applicant=p)
            for a, p in zip(base, people, strict=True)
        ]
        self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        tickets = {t.gis_appeal_guid: t for t in self.tickets()}
        self.assertEqual(tickets[appeals[0].guid].partner_id, existing)
        self.assertEqual(tickets[appeals[1].guid].partner_id, by_mail)
        created = tickets[appeals[2].guid].partner_id
        self.assertTrue(created)
        self.assertEqual(created.company_id, self.backend.company_id)
        self.assertEqual(created.phone_sanitized, "+79165550003")
        # The same resident twice in a batch is created once.
        self.assertEqual(tickets[appeals[3].guid].partner_id, created)
        self.assertFalse(tickets[appeals[4].guid].partner_id)
        self.assertEqual(tickets[appeals[4].guid].gis_applicant_kind, "hcs")

    def test_a_resident_found_once_is_found_again(self):
        """Separate imports, the numbers and addresses written differently:
        one contact, as Odoo itself normalises its contacts."""
        people = [
            {"phone": "8 (916) 555-77-01"},
            {"phone": "+7 916 555 77 01"},
            {"phone": "79165557701"},
            {"phone": "8-916-555-77-01", "appeal_email": "x@example.com"},
            # A possible but invalid number (no such area code): it cannot be
            # normalised, so the e-mail recognises the resident.
            {"phone": "+7 000 555 00 01", "appeal_email": "Resident@Example.COM"},
            {"phone": "+70005550001", "email": "resident@example.com"},
            {"appeal_email": " RESIDENT@example.com"},
        ]
        partners = self.env["res.partner"]
        for index, person in enumerate(people):
            appeal = dataclasses.replace(
                self.appeals(seed=f"again-{index}")[0],
                applicant=gis_xml_parse.Applicant(
                    "person", "Жилец", str(index), **person
                ),
            )
            self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
            partners |= (
                self.tickets()
                .filtered(lambda t, guid=appeal.guid: t.gis_appeal_guid == guid)
                .partner_id
            )
        by_phone, by_email = partners[:1], partners[-1:]
        self.assertEqual(len(partners), 2, partners.mapped("display_name"))
        self.assertEqual(by_phone.phone_sanitized, "+79165557701")
        self.assertEqual(by_email.email_normalized, "resident@example.com")
        self.assertFalse(by_email.phone)  # no invalid number stored on a contact

    def test_one_contact_whether_a_phone_comes_with_the_email_or_not(self):
        find = self.env["res.partner"]._helpdesk_find_or_create_residents
        key = self.env["res.partner"]._helpdesk_resident_key
        both = {"name": "Жилец", "phone": "8 916 555-77-31", "email": "a31@example.com"}
        email_only = {"name": "Жилец", "email": "A31@example.com"}
        phone_only = {"name": "Жилец", "phone": "+7 916 555 77 31"}
        # In one batch: one contact.
        found = find(self.company, [both, email_only])
        self.assertEqual(found[key(both)], found[key(email_only)])
        self.assertEqual(
            find(self.company, [phone_only])[key(phone_only)], found[key(both)]
        )
        # Known by phone, then in one batch with the e-mail and without it.
        self.assertEqual(
            find(self.company, [email_only, both])[key(email_only)], found[key(both)]
        )
        # Known by e-mail first, then with a phone: the phone is learnt, so
        # a phone-only appeal finds the same contact.
        first = {"name": "Жилец", "email": "b32@example.com"}
        contact = find(self.company, [first])[key(first)]
        later = {
            "name": "Жилец",
            "phone": "+7 916 555 77 32",
            "email": "b32@example.com",
        }
        self.assertEqual(find(self.company, [later])[key(later)], contact)
        self.assertEqual(contact.phone_sanitized, "+79165557732")
        alone = {"name": "Жилец", "phone": "8 916 555 77 32"}
        self.assertEqual(find(self.company, [alone])[key(alone)], contact)

    def import_applicants(self, *applicants):
        appeals = [
            dataclasses.replace(appeal, applicant=applicant)
            for appeal, applicant in zip(
                self.appeals(len(applicants), seed=f"family-{uuid.uuid4()}"),
                applicants,
                strict=True,
            )
        ]
        self.env["gis.appeal.import"]._import_appeals(self.backend, appeals)
        tickets = {t.gis_appeal_guid: t for t in self.tickets()}
        return [tickets[a.guid] for a in appeals]

    def test_a_shared_phone_does_not_put_the_appeal_on_another_person(self):
        father = self.env["res.partner"].create(
            {"name": "Пётр Иванов", "phone": "+7 916 555-01-01"}
        )
        (daughter,) = self.import_applicants(
            gis_xml_parse.Applicant(
                "person", "Иванова", "Анна", "Петровна", phone="8 916 555 01 01"
            )
        )
        # Not the father's contact: her own, with her name and the phone.
        self.assertNotEqual(daughter.partner_id, father)
        self.assertEqual(daughter.partner_id.name, "Иванова Анна Петровна")
        self.assertEqual(daughter.partner_id.phone_sanitized, "+79165550101")
        self.assertEqual(daughter.partner_name, "Иванова Анна Петровна")
        # The dispatcher sees why, and decides.
        self.assertEqual(daughter.resident_other_partner_id, father)
        self.assertIn(
            "resident_other_partner_id",
            view_fields(self.env, "helpdesk.ticket", "form"),
        )
        # The father's appeal finds his contact; the daughter's next one hers.
        father_appeal, again = self.import_applicants(
            gis_xml_parse.Applicant(
                "person", "Иванов", "Пётр", "Сергеевич", phone="89165550101"
            ),
            gis_xml_parse.Applicant("person", "Иванова", "Анна", phone="+79165550101"),
        )
        self.assertEqual(father_appeal.partner_id, father)
        self.assertFalse(father_appeal.resident_other_partner_id)
        self.assertEqual(again.partner_id, daughter.partner_id)
        self.assertFalse(again.resident_other_partner_id)
        # "Same person": the dispatcher knows better.
        daughter.action_resident_same_person()
        self.assertEqual(daughter.partner_id, father)
        self.assertFalse(daughter.resident_other_partner_id)
        self.assertEqual(daughter.partner_name, "Иванова Анна Петровна")
        self.assertIn("confirmed", daughter.message_ids[0].body)

    def test_two_people_of_one_phone_in_one_import(self):
        husband, wife, husband_again = self.import_applicants(
            gis_xml_parse.Applicant("person", "Смирнов", "Олег", phone="+79165550202"),
            gis_xml_parse.Applicant(
                "person", "Смирнова", "Ольга", phone="+79165550202"
            ),
            gis_xml_parse.Applicant(
                "person", "Смирнов", "Олег", "Ильич", phone="89165550202"
            ),
        )
        self.assertNotEqual(husband.partner_id, wife.partner_id)
        self.assertEqual(husband_again.partner_id, husband.partner_id)
        self.assertEqual(wife.partner_id.name, "Смирнова Ольга")

    def test_organisation_applicant(self):
        org_guid = str(uuid.uuid4())
        partner = self.env["res.partner"].create(
            {"name": "ТСН Лесная", "is_company": True, "gis_org_guid": org_guid}
        )
        appeal = dataclasses.replace(
            self.appeals()[0],
            applicant=gis_xml_parse.Applicant("org", org_guid=org_guid),
        )
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        self.assertEqual(self.tickets().partner_id, partner)

    def test_collective_appeal_and_neighbours(self):
        appeals = self.appeals(6)
        collective = appeals[5]
        self.assertTrue(collective.collective)
        self.env["gis.appeal.import"]._import_appeals(self.backend, [collective])
        ticket = self.tickets()
        self.assertTrue(ticket.gis_collective)
        self.assertEqual(ticket.gis_neighbour_count, 2)
        self.assertIn("Соседова Нина", ticket.gis_neighbours)
        self.assertIn("12", ticket.gis_neighbours)

    def test_theme_mapping_and_unknown_theme(self):
        category = self.env["helpdesk.ticket.category"].create({"name": "Аварии"})
        team = self.env["helpdesk.ticket.team"].create({"name": "АДС"})
        self.env["gis.appeal.theme"].create(
            {
                "code": "901",
                "name": "Авария",
                "category_id": category.id,
                "team_id": team.id,
                "priority": "3",
            }
        )
        base = self.appeals(3)
        mapped = dataclasses.replace(base[0], theme_code="901", theme_name="Авария")
        unknown = dataclasses.replace(
            base[1],
            theme_code="902",
            theme_guid=str(uuid.uuid4()),
            theme_name="Протечка кровли над квартирой",
        )
        other = dataclasses.replace(
            base[2],
            theme_code=None,
            theme_guid=None,
            theme_name=None,
            another_topic="Шумные соседи",
        )
        stats = self.env["gis.appeal.import"]._import_appeals(
            self.backend, [mapped, unknown, other]
        )
        self.assertEqual(stats["created"], 3, stats["errors"])
        tickets = {t.gis_appeal_guid: t for t in self.tickets()}
        first = tickets[mapped.guid]
        self.assertEqual(
            (first.category_id, first.team_id, first.priority), (category, team, "3")
        )
        theme = self.env["gis.appeal.theme"].search([("code", "=", "902")])
        self.assertTrue(theme.to_review)
        self.assertEqual(theme.name, "Протечка кровли над квартирой")
        self.assertEqual(
            theme.category_id, self.env.ref("helpdesk_gis_zhkh_max.category_repair")
        )
        self.assertEqual(tickets[unknown.guid].gis_theme_id, theme)
        self.assertEqual(tickets[unknown.guid].team_id, self.team)  # backend default
        self.assertEqual(tickets[other.guid].gis_theme_name, "Шумные соседи")
        self.assertFalse(tickets[other.guid].gis_theme_id)
        # A company's own mapping wins over the shared one.
        own = self.env["gis.appeal.theme"].create(
            {
                "code": "901",
                "name": "Авария (наша)",
                "company_id": self.company.id,
                "priority": "2",
            }
        )
        again = dataclasses.replace(base[0], guid=str(uuid.uuid4()), theme_code="901")
        self.env["gis.appeal.import"]._import_appeals(self.backend, [again])
        self.assertEqual(
            self.tickets()
            .filtered(lambda t: t.gis_appeal_guid == again.guid)
            .gis_theme_id,
            own,
        )

    def test_houses_are_registered(self):
        appeal = self.appeals()[0]
        self.env["gis.appeal.import"]._import_appeals(self.backend, [appeal])
        house = self.tickets().gis_house_id
        self.assertEqual(house.fias_guid, appeal.fias_house_guid)
        self.assertEqual(house.oktmo_code, appeal.oktmo_code)
        self.assertEqual(house.ticket_count, 1)
        self.assertEqual(
            self.env["gis.zhkh.house"].search_count(
                [("fias_guid", "=", appeal.fias_house_guid)]
            ),
            1,
        )

    def test_missing_optional_fields(self):
        appeal = dataclasses.replace(
            self.appeals()[0],
            fias_house_guid=None,
            premise_number=None,
            execution_end_date=None,
            npa_requirements=None,
            theme_name=None,
            text="",
            applicant=gis_xml_parse.Applicant("person", "Без", "Телефона"),
        )
        self.fake.seed([appeal])
        self.run_import()
        ticket = self.tickets()
        self.assertFalse(
            ticket.gis_house_id or ticket.gis_deadline or ticket.partner_id
        )
        self.assertEqual(ticket.partner_name, "Без Телефона")

    def test_same_appeal_in_two_companies(self):
        appeal = self.appeals()[0]
        other_company = self.env["res.company"].create({"name": "ТСЖ Соседнее"})
        other_backend = self.backend.copy(
            {"company_id": other_company.id, "name": "Other", "team_id": False}
        )
        for backend in (self.backend, other_backend):
            self.env["gis.appeal.import"].with_company(
                backend.company_id
            )._import_appeals(backend, [appeal])
        tickets = (
            self.env["helpdesk.ticket"]
            .sudo()
            .search([("gis_appeal_guid", "=", appeal.guid)])
        )
        self.assertEqual(tickets.company_id, self.company | other_company)

    def test_cron_queues_due_imports_once(self):
        with self.env.cr.savepoint():
            self.env["gis.zhkh.backend"].search(
                [("id", "!=", self.backend.id)]
            ).active = False
        from odoo.addons.queue_job.tests.common import trap_jobs

        with trap_jobs() as trap:
            self.assertEqual(self.env["gis.zhkh.backend"]._cron_import_appeals(), 1)
            self.assertTrue(self.backend.next_import_at)
            # Not due yet: nothing queued; and a manual import is not doubled.
            self.assertEqual(self.env["gis.zhkh.backend"]._cron_import_appeals(), 0)
            self.backend.action_import_appeals()
            trap.assert_jobs_count(1, only=self.backend._job_import_appeals)

    def test_refresh_follows_open_and_recently_executed_appeals(self):
        appeals = self.appeals(4)
        old = dataclasses.replace(
            appeals[3],
            create_date=self.days_ago(self.backend.refresh_days + 5),
            status="executed",
            raw_status="Executed",
        )
        recent = dataclasses.replace(
            appeals[2], status="executed", raw_status="Executed"
        )
        withdrawn = dataclasses.replace(
            appeals[1], status="withdrawn", raw_status="Withdrawn", withdrawn=True
        )
        self.env["gis.appeal.import"]._import_appeals(
            self.backend, [appeals[0], withdrawn, recent, old]
        )
        self.assertEqual(
            set(self.backend._refresh_guids()), {appeals[0].guid, recent.guid}
        )

    def test_refresh_only_when_due(self):
        self.fake.seed(self.appeals(2))
        self.backend.refresh_interval = 60
        first = self.run_import()
        self.assertEqual(first.mapped("purpose"), ["window"])  # nothing open yet
        self.assertTrue(self.backend.last_refresh_at)
        second = self.run_import() - first
        self.assertEqual(second.mapped("purpose"), ["window"])  # not due
        self.backend.last_refresh_at -= datetime.timedelta(minutes=61)
        third = self.run_import() - first - second
        self.assertEqual(sorted(third.mapped("purpose")), ["refresh", "window"])
        self.assertEqual(third.filtered(lambda m: m.purpose == "refresh").guid_count, 2)

    def test_archived_connection_does_nothing(self):
        self.fake.seed(self.appeals(2))
        self.backend.active = False
        self.assertIn("archived", self.backend._job_import_appeals())
        self.assertFalse(self.fake.calls())


@tagged("post_install", "-at_install")
class TestImportMailInBatch(GisCase):
    def test_new_tickets_mail_work_done_once_per_batch(self):
        """What helpdesk_mgmt and the chatter do ticket by ticket, the import
        does per batch, with the same outcome: numbers of the sequence, the
        team's first stage, the team's followers, the creation note; those
        the "ticket created" subtype would notify hear once, a list."""
        # An employee: helpdesk_mgmt's "ticket created" is an internal subtype.
        dispatcher = new_test_user(
            self.env, login="gis_team_follower", groups="base.group_user"
        ).partner_id
        # The appeal's theme may name the team: follow them all.
        self.env["helpdesk.ticket.team"].search([]).message_subscribe(dispatcher.ids)
        self.fake.seed(self.appeals(4, days=2))
        self.run_import()
        tickets = self.tickets().sorted("id")
        self.assertEqual(len(tickets), 4)
        numbers = tickets.mapped("number")
        self.assertEqual(len(set(numbers)), 4)
        self.assertTrue(all(n and n != "/" for n in numbers))
        self.assertEqual(numbers, sorted(numbers))
        for ticket in tickets:
            first = ticket.team_id._get_applicable_stages()[:1]
            self.assertEqual(ticket.stage_id, first)
        created = self.env.ref("helpdesk_mgmt.hlp_tck_created")
        for ticket in tickets:
            follower = ticket.message_follower_ids.filtered(
                lambda f: f.partner_id == dispatcher
            )
            self.assertIn(created, follower.subtype_ids)
            # The creation note, logged, not posted to anyone.
            note = ticket.message_ids.filtered(
                lambda m: "o_mail_notification" in (m.body or "")
            )
            self.assertEqual(len(note), 1)
            self.assertFalse(note.notification_ids)
        digest = self.env["mail.message"].search(
            [
                ("model", "=", "helpdesk.ticket.team"),
                ("res_id", "in", tickets.team_id.ids),
                ("partner_ids", "in", dispatcher.ids),
            ]
        )
        # One list per team, every new ticket in one of them.
        self.assertEqual(len(digest), len(tickets.team_id))
        bodies = " ".join(digest.mapped("body"))
        for ticket in tickets:
            self.assertIn(ticket.number, bodies)
