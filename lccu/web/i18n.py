"""Every interface string, in Dutch (the unit's language, default) and English."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("nl", "en")
DEFAULT = "nl"

STRINGS: dict[str, dict[str, str]] = {
    "app_name": {"nl": "LCCU dossierbeheer", "en": "LCCU case management"},
    "skip": {"nl": "Naar de inhoud", "en": "Skip to content"},
    "login": {"nl": "Aanmelden", "en": "Log in"},
    "logout": {"nl": "Afmelden", "en": "Log out"},
    "username": {"nl": "Gebruikersnaam", "en": "Username"},
    "password": {"nl": "Wachtwoord", "en": "Password"},
    "login_failed": {
        "nl": "Gebruikersnaam of wachtwoord onjuist.",
        "en": "Wrong username or password.",
    },
    "login_blocked": {
        "nl": "Te veel mislukte pogingen. Probeer het over enkele minuten opnieuw.",
        "en": "Too many failed attempts. Try again in a few minutes.",
    },
    "logged_in_as": {"nl": "Aangemeld als", "en": "Logged in as"},
    "cases": {"nl": "Dossiers", "en": "Cases"},
    "no_cases": {
        "nl": "Geen dossiers zichtbaar voor uw zone.",
        "en": "No cases visible to your zone.",
    },
    "new_case": {"nl": "Nieuw dossier", "en": "New case"},
    "create": {"nl": "Aanmaken", "en": "Create"},
    "number": {"nl": "Nummer", "en": "Number"},
    "title": {"nl": "Titel", "en": "Title"},
    "zone": {"nl": "Zone", "en": "Zone"},
    "status": {"nl": "Status", "en": "Status"},
    "reference": {"nl": "Referentie (PV / magistraat)", "en": "Reference (PV / magistrate)"},
    "question": {"nl": "Gestelde onderzoeksvraag", "en": "Question asked"},
    "shared": {"nl": "gedeeld", "en": "shared"},
    "court_report": {"nl": "Verslag voor de rechtbank (PDF)", "en": "Report for court (PDF)"},
    "court_report_html": {"nl": "als HTML", "en": "as HTML"},
    "court_report_docx": {"nl": "als Word (DOCX)", "en": "as Word (DOCX)"},
    "evidence": {"nl": "Overtuigingsstukken", "en": "Evidence items"},
    "no_evidence": {"nl": "Nog geen stukken.", "en": "No items yet."},
    "exhibit": {"nl": "Stuk", "en": "Exhibit"},
    "description": {"nl": "Omschrijving", "en": "Description"},
    "state": {"nl": "Toestand", "en": "State"},
    "size": {"nl": "Grootte (bytes)", "en": "Size (bytes)"},
    "hashes": {"nl": "Hashes", "en": "Hashes"},
    "seal": {"nl": "Zegelnummer", "en": "Seal number"},
    "mismatch": {"nl": "HASH KOMT NIET OVEREEN", "en": "HASH MISMATCH"},
    "declared": {"nl": "opgegeven", "en": "declared"},
    "custody": {"nl": "Bewaringsketen", "en": "Chain of custody"},
    "when": {"nl": "Tijdstip", "en": "When"},
    "who": {"nl": "Wie", "en": "Who"},
    "action": {"nl": "Handeling", "en": "Action"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "verify_custody": {"nl": "Bewaringsketen controleren", "en": "Verify custody"},
    "verify_ok": {
        "nl": "Bewaringsketen in orde. Noteer in het PV de kop-hash:",
        "en": "Chain of custody OK. Note the head hash in the PV:",
    },
    "verify_failed": {
        "nl": "Bewaringsketen NIET in orde. Eerste probleem:",
        "en": "Chain of custody FAILED. First problem:",
    },
    "events": {"nl": "gebeurtenissen", "en": "events"},
    "upload": {"nl": "Stuk opladen", "en": "Upload evidence"},
    "file": {"nl": "Bestand", "en": "File"},
    "container_files": {"nl": "containerbestanden", "en": "container files"},
    "stored_hash_mismatch": {
        "nl": "hash in de container wijkt af van het medium",
        "en": "the container's stored hash differs from the media",
    },
    "file_hint": {
        "nl": "Alle bestanden van één acquisitie samen: een raw-image, alle segmenten "
        "van een gesplitst raw-image (.001, .002 ...) of van een E01 (.E01, "
        ".E02 ...), een VMDK (descriptor en extents), VHD, VHDX of QCOW2. Eén "
        "stuk overtuiging met de hashes van de schijf erin. Een vaste VHD: "
        "lccu evidence add.",
        "en": "Every file of one acquisition together: a raw image, every segment "
        "of a split raw image (.001, .002 ...) or of an E01 (.E01, .E02 ...), "
        "a VMDK (descriptor and extents), VHD, VHDX or QCOW2. One evidence "
        "item with the hashes of the disk inside. A fixed VHD: "
        "lccu evidence add.",
    },
    "declared_hashes": {
        "nl": "Opgegeven hashes (van de acquisitie, optioneel)",
        "en": "Declared hashes (from the acquisition, optional)",
    },
    "start_upload": {"nl": "Opladen", "en": "Upload"},
    "upload_progress": {"nl": "Voortgang", "en": "Progress"},
    "upload_done": {"nl": "Opgeladen en geregistreerd als", "en": "Uploaded and recorded as"},
    "upload_retry": {
        "nl": "Verbinding onderbroken, hervatten...",
        "en": "Connection interrupted, resuming...",
    },
    "upload_failed": {
        "nl": "Opladen mislukt; er is niets geregistreerd:",
        "en": "Upload failed; nothing was recorded:",
    },
    "upload_checking": {
        "nl": "Alles ontvangen; de schijf wordt gelezen en gecontroleerd "
        "(bij een grote image kan dat lang duren)...",
        "en": "Everything received; the disk is being read and checked "
        "(this takes a while for a large image)...",
    },
    "max_size": {"nl": "Maximale grootte", "en": "Maximum size"},
    "justify_title": {
        "nl": "Raadpleging van een dossier van een andere zone",
        "en": "Consulting another zone's case",
    },
    "justify_text": {
        "nl": "Dit dossier behoort niet tot uw zone. Geef de reden van uw "
        "raadpleging op; ze wordt gelogd.",
        "en": "This case does not belong to your zone. State why you consult "
        "it; the reason is logged.",
    },
    "justification": {"nl": "Rechtvaardiging", "en": "Justification"},
    "consult": {"nl": "Raadplegen", "en": "Consult"},
    "audit": {"nl": "Auditlog", "en": "Audit log"},
    "user": {"nl": "Gebruiker", "en": "User"},
    "allowed": {"nl": "Toegestaan", "en": "Allowed"},
    "denied": {"nl": "Geweigerd", "en": "Denied"},
    "all": {"nl": "Alle", "en": "All"},
    "filter": {"nl": "Filteren", "en": "Filter"},
    "operation": {"nl": "Handeling", "en": "Operation"},
    "object": {"nl": "Object", "en": "Object"},
    "detail": {"nl": "Details", "en": "Detail"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
    "error": {"nl": "Fout", "en": "Error"},
    "back": {"nl": "Terug naar de dossiers", "en": "Back to the cases"},
    "not_found": {"nl": "Niet gevonden", "en": "Not found"},
    "forbidden": {"nl": "Geen toegang", "en": "Access denied"},
    "invalid": {"nl": "Ongeldige invoer", "en": "Invalid input"},
    "csrf": {
        "nl": "Het formulier is verlopen of ongeldig; laad de pagina opnieuw.",
        "en": "The form expired or is invalid; reload the page.",
    },
    "language": {"nl": "Taal", "en": "Language"},
    "tokens": {"nl": "API-tokens", "en": "API tokens"},
    "token_intro": {
        "nl": "Tokens laten scripts de API gebruiken als u "
        "(Authorization: Bearer ...). Het geheim wordt maar één keer getoond.",
        "en": "Tokens let scripts use the API as you (Authorization: Bearer ...). "
        "The secret is shown only once.",
    },
    "token_name": {"nl": "Naam (waarvoor dient het?)", "en": "Name (what is it for?)"},
    "token_new": {"nl": "Nieuw token", "en": "New token"},
    "token_created": {
        "nl": "Nieuw token; kopieer het nu, het wordt niet meer getoond:",
        "en": "New token; copy it now, it will not be shown again:",
    },
    "created": {"nl": "Aangemaakt", "en": "Created"},
    "last_used": {"nl": "Laatst gebruikt", "en": "Last used"},
    "revoked": {"nl": "Ingetrokken", "en": "Revoked"},
    "expired": {"nl": "Verlopen", "en": "Expired"},
    "expires": {"nl": "Verloopt", "en": "Expires"},
    "token_days": {"nl": "Geldig (dagen)", "en": "Valid for (days)"},
    "revoke": {"nl": "Intrekken", "en": "Revoke"},
    "processing": {"nl": "Verwerking", "en": "Processing"},
    "process": {"nl": "Verwerken", "en": "Process"},
    "priority": {"nl": "Prioriteit", "en": "Priority"},
    "priority_normal": {"nl": "normaal", "en": "normal"},
    "priority_urgent": {"nl": "dringend", "en": "urgent"},
    "no_runs": {
        "nl": "Dit stuk werd nog niet verwerkt.",
        "en": "This item has not been processed yet.",
    },
    "auto_refresh": {
        "nl": "Deze pagina ververst zichzelf tot de verwerking klaar is.",
        "en": "This page refreshes itself until processing has finished.",
    },
    "run": {"nl": "Verwerking", "en": "Run"},
    "run_queued": {"nl": "in wachtrij", "en": "queued"},
    "run_waiting": {"nl": "wacht op vorige stap", "en": "waiting for earlier stage"},
    "run_running": {"nl": "bezig", "en": "running"},
    "run_done": {"nl": "klaar", "en": "done"},
    "run_failed": {"nl": "MISLUKT", "en": "FAILED"},
    "outcome_done with warnings": {"nl": "klaar, met waarschuwingen", "en": "done with warnings"},
    "outcome_done with errors": {"nl": "klaar, met fouten", "en": "done with errors"},
    "hashset_hits": {"nl": "Hashsets", "en": "Hash sets"},
    "hashset_notable": {"nl": "opvallende bestanden", "en": "notable files"},
    "hashset_known": {"nl": "gekende bestanden", "en": "known files"},
    "findings": {
        "nl": "Niet (volledig) onderzocht of niet leesbaar",
        "en": "Not (fully) analysed or not readable",
    },
    "submitted": {"nl": "Ingediend door", "en": "Submitted by"},
    "finished": {"nl": "Klaar om", "en": "Finished at"},
    "stage": {"nl": "Stap", "en": "Stage"},
    "eta": {"nl": "Resterende tijd (schatting)", "en": "Time left (estimate)"},
    "worker": {"nl": "Server", "en": "Worker"},
    "workers": {"nl": "Verwerkingsservers", "en": "Workers"},
    "workers_alive_rule": {
        "nl": "Een server zonder teken van leven sinds {n} s geldt als "
        "verloren; zijn taak wordt overgenomen.",
        "en": "A worker silent for {n} s counts as lost; its stage is taken over.",
    },
    "no_workers": {"nl": "Geen servers geregistreerd.", "en": "No workers registered."},
    "heartbeat": {"nl": "Laatste teken van leven", "en": "Last heartbeat"},
    "running_stages": {"nl": "Bezig met", "en": "Running"},
    "worker_alive": {"nl": "actief", "en": "alive"},
    "worker_lost": {"nl": "verloren", "en": "lost"},
    "queue": {"nl": "Wachtrij per zone", "en": "Queue per zone"},
    "queue_empty": {"nl": "De wachtrij is leeg.", "en": "The queue is empty."},
    "stages_running": {"nl": "Bezig", "en": "Running"},
    "stages_queued": {"nl": "Klaar om te starten", "en": "Queued"},
    "stages_waiting": {"nl": "Wacht op vorige stappen", "en": "Waiting for earlier stages"},
    "reused": {"nl": "hergebruikt", "en": "reused"},
    "pages": {"nl": "Pagina's", "en": "Pages"},
    "page": {"nl": "Pagina", "en": "Page"},
    "total_cases": {"nl": "Aantal dossiers", "en": "Number of cases"},
    "previous": {"nl": "Vorige", "en": "Previous"},
    "next": {"nl": "Volgende", "en": "Next"},
    "back_case": {"nl": "Terug naar het dossier", "en": "Back to the case"},
    # case actions
    "shares": {"nl": "Gedeeld met", "en": "Shared with"},
    "no_shares": {
        "nl": "Dit dossier is met geen andere zone gedeeld.",
        "en": "This case is not shared with any other zone.",
    },
    "share_case": {"nl": "Dossier delen met een zone", "en": "Share the case with a zone"},
    "permission": {"nl": "Recht", "en": "Permission"},
    "permission_read": {"nl": "lezen", "en": "read"},
    "permission_contribute": {"nl": "lezen en bijdragen", "en": "read and contribute"},
    "purpose": {"nl": "Doel (wordt gelogd)", "en": "Purpose (logged)"},
    "valid_until": {"nl": "Geldig tot en met", "en": "Valid until"},
    "optional": {"nl": "optioneel", "en": "optional"},
    "revoke_share": {"nl": "Deling intrekken", "en": "Revoke share"},
    "close_case": {"nl": "Dossier afsluiten", "en": "Close the case"},
    "close_warning": {
        "nl": "Na het afsluiten kunnen geen stukken meer worden toegevoegd.",
        "en": "Once closed, no evidence can be added.",
    },
    "record_event": {
        "nl": "Gebeurtenis in de bewaringsketen registreren",
        "en": "Record a custody event",
    },
    "location": {"nl": "Plaats", "en": "Location"},
    "whole_case": {"nl": "(het dossier zelf)", "en": "(the case itself)"},
    "custody_transferred": {"nl": "overdracht", "en": "transfer"},
    "custody_checked_out": {
        "nl": "uitgeleend (uit de bewaarplaats)",
        "en": "checked out (of the evidence store)",
    },
    "custody_checked_in": {
        "nl": "teruggebracht (in de bewaarplaats)",
        "en": "checked in (to the evidence store)",
    },
    "custody_seal_broken": {"nl": "zegel verbroken", "en": "seal broken"},
    "custody_resealed": {"nl": "opnieuw verzegeld", "en": "resealed"},
    "custody_accessed": {"nl": "ingezien", "en": "accessed"},
    "custody_returned": {"nl": "teruggegeven aan de eigenaar", "en": "returned to its owner"},
    "custody_destroyed": {"nl": "vernietigd", "en": "destroyed"},
    "custody_note": {"nl": "notitie", "en": "note"},
    # actions lccu records itself, as the case page's custody log names them
    "custody_acquired": {"nl": "verworven", "en": "acquired"},
    "custody_intake": {"nl": "opgenomen", "en": "taken in"},
    "custody_processed": {"nl": "verwerkt", "en": "processed"},
    "custody_verified": {"nl": "hashes gecontroleerd", "en": "hashes verified"},
    "custody_exported": {"nl": "geëxporteerd", "en": "exported"},
    # the case page for people: where each item is, who holds it, how far processing got
    "custodian": {"nl": "Bewaarder", "en": "Custodian"},
    "held_now": {"nl": "Nu in bewaring", "en": "Held now"},
    "seal_broken_now": {"nl": "zegel verbroken", "en": "seal broken"},
    "never_processed": {"nl": "nog niet verwerkt", "en": "not processed yet"},
    "processing_run_row": {"nl": "verwerking", "en": "processing run"},
    "stages_recorded": {"nl": "registraties van stappen", "en": "stage records"},
    "show_run_events": {"nl": "details tonen", "en": "show details"},
    "segment": {"nl": "deel", "en": "part"},
    "custody_export": {
        "nl": "Bewaringsketen exporteren (JSON Lines, verifieerbaar)",
        "en": "Export the chain of custody (JSON Lines, verifiable)",
    },
    "export_recipient": {"nl": "Ontvanger van de export", "en": "Recipient of the export"},
    "item_state_registered": {"nl": "geregistreerd", "en": "registered"},
    "item_state_stored": {"nl": "opgeslagen", "en": "stored"},
    "item_state_verified": {"nl": "gecontroleerd", "en": "verified"},
    "item_state_hash-mismatch": {"nl": "hashes wijken af", "en": "hash mismatch"},
    "item_state_returned": {"nl": "teruggegeven", "en": "returned"},
    "item_state_destroyed": {"nl": "vernietigd", "en": "destroyed"},
    "case_status_open": {"nl": "open", "en": "open"},
    "user_role_investigator": {"nl": "onderzoeker", "en": "investigator"},
    "user_role_analyst": {"nl": "analist", "en": "analyst"},
    "user_role_operator": {"nl": "operator", "en": "operator"},
    "user_role_dpo": {
        "nl": "functionaris voor gegevensbescherming",
        "en": "data protection officer",
    },
    "user_role_admin": {"nl": "beheerder", "en": "administrator"},
    "case_status_closed": {"nl": "afgesloten", "en": "closed"},
    "received_by": {"nl": "Ontvangen door (gebruikersnaam)", "en": "Received by (username)"},
    "witness": {"nl": "Getuige", "en": "Witness"},
    "seal_before": {"nl": "Zegel aangetroffen", "en": "Seal as found"},
    "seal_after": {
        "nl": "Zegel achtergelaten (nieuw zegel bij herverzegeling)",
        "en": "Seal as left (the new seal when resealing)",
    },
    "custody_help": {
        "nl": "Bij een overdracht is de plaats de nieuwe plaats. De gebeurtenis "
        "wordt getoetst aan de vorige (wie het stuk heeft, waar, onder "
        "welk zegel), ondertekend en kan niet meer gewijzigd worden.",
        "en": "For a hand-over the location is the new place. The event is "
        "checked against the earlier ones (who holds the item, where, "
        "under which seal), signed, and cannot be changed later.",
    },
    "occurred_at": {"nl": "Tijdstip van de gebeurtenis", "en": "When it happened"},
    "occurred_offset": {
        "nl": "Tijdzone (verschil met UTC, bv. +01:00)",
        "en": "Time zone (offset from UTC, e.g. +01:00)",
    },
    "released_by": {
        "nl": "Afgegeven door (gebruikersnaam; standaard uzelf)",
        "en": "Released by (username; default yourself)",
    },
    "from_location": {"nl": "Van plaats", "en": "From location"},
    "to_location": {"nl": "Naar plaats", "en": "To location"},
    "countersigned": {"nl": "Medeondertekend", "en": "Countersigned"},
    "countersign": {"nl": "Medeondertekenen", "en": "Countersign"},
    "role_receiver": {"nl": "ontvanger", "en": "receiver"},
    "role_witness": {"nl": "getuige", "en": "witness"},
    "role_releaser": {"nl": "afgever", "en": "releaser"},
    "countersign_done": {
        "nl": "De overdracht is medeondertekend met uw sleutel.",
        "en": "The hand-over has been countersigned with your key.",
    },
    "key_title": {"nl": "Uw ondertekeningssleutel", "en": "Your signing key"},
    "key_is_unlocked": {
        "nl": "Uw sleutel is ontgrendeld voor deze sessie.",
        "en": "Your key is unlocked for this session.",
    },
    "key_unlock_why": {
        "nl": "Uw ondertekeningssleutel is vergrendeld (de wachtwoordzin is "
        "niet uw webwachtwoord). Ontgrendel hem voor deze sessie om te "
        "ondertekenen.",
        "en": "Your signing key is locked (its passphrase is not your web "
        "password). Unlock it for this session to sign.",
    },
    "key_passphrase": {"nl": "Wachtwoordzin van uw sleutel", "en": "Your key's passphrase"},
    "key_unlock": {"nl": "Sleutel ontgrendelen", "en": "Unlock key"},
    "key_unlock_failed": {
        "nl": "Deze wachtwoordzin ontgrendelt uw sleutel niet.",
        "en": "This passphrase does not unlock your key.",
    },
    "key_locked": {
        "nl": "Uw ondertekeningssleutel is vergrendeld: ontgrendel hem hieronder.",
        "en": "Your signing key is locked: unlock it below.",
    },
    "countersign_pending": {
        "nl": "Nog niet medeondertekend (geen fout):",
        "en": "Not countersigned yet (not a failure):",
    },
    "verify_notes": {
        "nl": "Opmerkingen (geen fout):",
        "en": "Notes (not a failure):",
    },
    "share_done": {"nl": "Het dossier is gedeeld.", "en": "The case has been shared."},
    "unshare_done": {"nl": "De deling is ingetrokken.", "en": "The share has been revoked."},
    "close_done": {"nl": "Het dossier is afgesloten.", "en": "The case has been closed."},
    "custody_done": {
        "nl": "De gebeurtenis is geregistreerd.",
        "en": "The event has been recorded.",
    },
    "action_failed": {
        "nl": "De handeling werd niet uitgevoerd:",
        "en": "The action was not carried out:",
    },
    # the DPO's audit view (issue 20)
    "audit_case": {"nl": "Dossier", "en": "Case"},
    "audit_operation_help": {
        "nl": "bv. case.read, of case. voor alle handelingen op dossiers",
        "en": "e.g. case.read, or case. for every case operation",
    },
    "audit_csv": {"nl": "Selectie als CSV", "en": "Selection as CSV"},
    "audit_verify": {"nl": "Auditketen controleren", "en": "Verify the audit chain"},
    "audit_chain_ok": {
        "nl": "De auditketen is intact (hashketen en ankers).",
        "en": "The audit chain is intact (hash chain and anchors).",
    },
    "audit_chain_broken": {
        "nl": "De auditketen is NIET intact:",
        "en": "The audit chain is NOT intact:",
    },
    "audit_entries": {"nl": "Vermeldingen", "en": "Entries"},
    "audit_times": {
        "nl": "Tijden in Europe/Brussels, met het verschil met UTC; de datumfilters "
        "gelden voor dagen in Europe/Brussels.",
        "en": "Times in Europe/Brussels, with the offset from UTC; the date filters "
        "are days in Europe/Brussels.",
    },
    # file browser and gallery (issue 20)
    "files": {"nl": "Bestanden", "en": "Files"},
    "open_files": {"nl": "Bestanden bekijken", "en": "Browse the files"},
    "case_files": {"nl": "Alle bestanden van het dossier", "en": "All files of the case"},
    "not_processed": {
        "nl": "Nog niet verwerkt (hun bestanden staan hier niet)",
        "en": "Not processed yet (their files are not listed)",
    },
    "gallery": {"nl": "Fotogalerij", "en": "Picture gallery"},
    "open_gallery": {"nl": "Fotogalerij openen", "en": "Open the picture gallery"},
    "pictures": {"nl": "Afbeeldingen", "en": "Pictures"},
    "case_gallery": {"nl": "Fotogalerij van het dossier", "en": "Picture gallery of the case"},
    "large_preview": {"nl": "Groot voorbeeld", "en": "Large preview"},
    "picture_preview_note": {
        "nl": "Door lccu opnieuw getekend (ten hoogste 1600 pixels), niet de bytes van het "
        "bestand zelf; download het bestand voor het origineel.",
        "en": "Redrawn by lccu (at most 1600 pixels), not the file's own bytes; download the "
        "file for the original.",
    },
    "video_preview_note": {
        "nl": "Het eerste sleutelbeeld van de video, door lccu opnieuw getekend (ten hoogste "
        "1600 pixels); download het bestand om de video te bekijken.",
        "en": "The video's first key frame, redrawn by lccu (at most 1600 pixels); download "
        "the file to watch the video.",
    },
    "file_type": {"nl": "Bestandstype", "en": "File type"},
    "any": {"nl": "alle", "en": "any"},
    "type_image": {"nl": "afbeeldingen", "en": "pictures"},
    "type_video": {"nl": "video", "en": "video"},
    "type_audio": {"nl": "geluid", "en": "audio"},
    "type_text": {"nl": "tekst", "en": "text"},
    "type_application_pdf": {"nl": "PDF-documenten", "en": "PDF documents"},
    "type_application": {"nl": "toepassingsbestanden", "en": "application files"},
    "filter_deleted": {"nl": "Verwijderd", "en": "Deleted"},
    "filter_tagged": {"nl": "Gemarkeerd", "en": "Tagged"},
    "filter_hits": {"nl": "YARA-treffers", "en": "YARA hits"},
    "filter_mismatch": {"nl": "Extensie klopt niet met inhoud", "en": "Extension mismatch"},
    "file_source": {"nl": "Herkomst", "en": "Origin"},
    "source_file": {"nl": "bestandssysteem", "en": "file system"},
    "source_carved": {"nl": "gecarved", "en": "carved"},
    "source_member": {"nl": "uit een archief", "en": "archive member"},
    "sort_by": {"nl": "Sorteren op", "en": "Sort by"},
    "sort_path": {"nl": "pad", "en": "path"},
    "sort_name": {"nl": "naam", "en": "name"},
    "sort_size": {"nl": "grootte", "en": "size"},
    "sort_mtime": {"nl": "gewijzigd", "en": "modified"},
    "sort_mime": {"nl": "type", "en": "type"},
    "sort_hits": {"nl": "YARA-treffers", "en": "YARA hits"},
    "descending": {"nl": "aflopend", "en": "descending"},
    "modified_utc": {"nl": "Gewijzigd (UTC)", "en": "Modified (UTC)"},
    "tags": {"nl": "Markeringen", "en": "Tags"},
    "no_tags": {"nl": "Geen markeringen.", "en": "No tags."},
    "tag_label": {"nl": "Label", "en": "Label"},
    "tag_note": {"nl": "Notitie", "en": "Note"},
    "add_tag": {"nl": "Markeren", "en": "Tag the file"},
    "label_relevant": {"nl": "relevant", "en": "relevant"},
    "label_to_check": {"nl": "na te kijken", "en": "to check"},
    "label_privileged": {"nl": "beroepsgeheim", "en": "privileged"},
    "yara_hits": {"nl": "YARA-treffers", "en": "YARA hits"},
    "volume": {"nl": "volume", "en": "volume"},
    "no_files": {"nl": "Geen bestanden voor deze filters.", "en": "No files for these filters."},
    "no_pictures": {
        "nl": "Geen afbeeldingen voor deze filters.",
        "en": "No pictures for these filters.",
    },
    "download_file": {"nl": "Bestand downloaden", "en": "Download the file"},
    "download_note": {
        "nl": "De download is een kopie, gelezen uit het opgeslagen "
        "overtuigingsstuk; elke download wordt gelogd.",
        "en": "The download is a copy read from the stored evidence; every download is logged.",
    },
    "time_mtime": {"nl": "Gewijzigd", "en": "Modified"},
    "time_atime": {"nl": "Geopend", "en": "Accessed"},
    "time_ctime": {"nl": "Metadata gewijzigd", "en": "Metadata changed"},
    "time_crtime": {"nl": "Aangemaakt", "en": "Born"},
    "hashset_match": {"nl": "Hashset", "en": "Hash set"},
    "file_hashset_notable": {
        "nl": "in een set opvallende bestanden",
        "en": "in a set of notable files",
    },
    "file_hashset_known": {"nl": "in een set gekende bestanden", "en": "in a set of known files"},
    "preview": {"nl": "Voorbeeld van de inhoud", "en": "Content preview"},
    "preview_first": {"nl": "De eerste", "en": "The first"},
    "preview_text": {"nl": "Als tekst", "en": "As text"},
    "preview_hex": {"nl": "Hexadecimaal", "en": "Hexadecimal"},
    "content_unreadable": {
        "nl": "De inhoud kan niet gelezen worden",
        "en": "The content cannot be read",
    },
    # reports
    "open_report": {"nl": "Rapport openen", "en": "Open the report"},
    # timeline (issue #17)
    "timeline": {"nl": "Tijdlijn", "en": "Timeline"},
    "open_timeline": {"nl": "Tijdlijn openen", "en": "Open the timeline"},
    "source_zone": {"nl": "Tijdzone van de bron", "en": "Source time zone"},
    "source_zone_unset": {
        "nl": "niet opgegeven: lokale tijden (FAT, exFAT, ISO 9660) staan "
        "als \u201clokaal, zone onbekend\u201d, nooit als UTC",
        "en": "not set: local times (FAT, exFAT, ISO 9660) are shown as "
        "\u201clocal, zone unknown\u201d, never as UTC",
    },
    "time_utc": {"nl": "UTC", "en": "UTC"},
    "time_local": {"nl": "lokaal", "en": "local"},
    "time_local_unknown": {"nl": "lokaal, zone onbekend", "en": "local, zone unknown"},
    "time": {"nl": "Tijd", "en": "Time"},
    "kind": {"nl": "Soort", "en": "Kind"},
    "macb_help": {
        "nl": "M gewijzigd, A geopend, C metadata gewijzigd, B aangemaakt",
        "en": "M modified, A accessed, C metadata changed, B born",
    },
    "path": {"nl": "Pad", "en": "Path"},
    "deleted": {"nl": "Verwijderd", "en": "Deleted"},
    "date_from": {"nl": "Van (datum)", "en": "From (date)"},
    "date_to": {"nl": "Tot en met (datum)", "en": "To (date, inclusive)"},
    "path_contains": {"nl": "Pad bevat", "en": "Path contains"},
    "download_csv": {"nl": "Volledige tijdlijn als CSV", "en": "Full timeline as CSV"},
    "too_deep": {
        "nl": "Zo ver bladeren kan niet; verfijn de filters.",
        "en": "Paging this far is not possible; narrow the filters.",
    },
    "no_events": {
        "nl": "Geen gebeurtenissen voor deze filters.",
        "en": "No events for these filters.",
    },
    # case timeline (issue #17)
    "case_timeline": {"nl": "Tijdlijn van het dossier", "en": "Case timeline"},
    "back_to_case": {"nl": "Terug naar het dossier", "en": "Back to the case"},
    "no_timeline_yet": {
        "nl": "nog geen tijdlijn (nog niet verwerkt)",
        "en": "no timeline yet (not processed)",
    },
    "deleted_only": {"nl": "alleen verwijderde", "en": "deleted only"},
    "allocated_only": {"nl": "alleen niet-verwijderde", "en": "not deleted only"},
    "marked": {"nl": "Opvallend of gekend", "en": "Notable or known"},
    "notable_filter": {
        "nl": "opvallend (getagd of in een opvallende hashset)",
        "en": "notable (tagged or in a notable hash set)",
    },
    "known_filter": {
        "nl": "gekend (in een hashset van gekende bestanden)",
        "en": "known (in a hash set of known files)",
    },
    "notable_mark": {"nl": "opvallend", "en": "notable"},
    "known_mark": {"nl": "gekend", "en": "known"},
    "activity": {"nl": "Activiteit in de tijd", "en": "Activity over time"},
    "per_day": {"nl": "per dag", "en": "per day"},
    "per_month": {"nl": "per maand", "en": "per month"},
    "per_year": {"nl": "per jaar", "en": "per year"},
    "histogram_help": {
        "nl": "Klik op een staaf om die periode te tonen.",
        "en": "Click a bar to show that period.",
    },
    "local_unknown_order": {
        "nl": "gebeurtenissen met een lokale tijd van onbekende zone: gerangschikt en "
        "gefilterd op hun kloktijd, niet als UTC",
        "en": "events with a local time of unknown zone: ordered and filtered by their "
        "wall clock, not as UTC",
    },
    # notable marks, hash sets and cross-zone hit/no-hit (issue 18)
    "notable_marks": {"nl": "Opvallende bestanden: voorstellen", "en": "Notable files: proposals"},
    "notable_marks_help": {
        "nl": "Onderzoekers stellen bestanden voor als opvallend. Na goedkeuring komen hun "
        "hashes in een set opvallende bestanden van de eenheid (een nieuwe versie); een "
        "afgewezen voorstel blijft hier staan, met de reden. Dossier, stuk en pad "
        "blijven bij de zone.",
        "en": "Investigators propose files as notable. Once approved, their hashes join a "
        "notable set of the unit (a new version); a rejected proposal stays listed "
        "here, with the reason. Case, item and path stay with the zone.",
    },
    "marks_pending": {"nl": "Te beslissen", "en": "To decide"},
    "marks_decided": {"nl": "Beslist", "en": "Decided"},
    "no_pending_marks": {"nl": "Geen voorstellen te beslissen.", "en": "No proposals to decide."},
    "no_decided_marks": {"nl": "Nog geen beslissingen.", "en": "No decisions yet."},
    "mark_category": {"nl": "Categorie", "en": "Category"},
    "proposed_by": {"nl": "Voorgesteld door", "en": "Proposed by"},
    "decided_by": {"nl": "Beslist door", "en": "Decided by"},
    "decision": {"nl": "Beslissing", "en": "Decision"},
    "mark_set": {"nl": "Hashset", "en": "Hash set"},
    "approve": {"nl": "Goedkeuren", "en": "Approve"},
    "reject": {"nl": "Afwijzen", "en": "Reject"},
    "reject_reason": {"nl": "Reden van afwijzing", "en": "Reason for rejecting"},
    "mark_proposed": {"nl": "voorgesteld", "en": "proposed"},
    "mark_approved": {"nl": "goedgekeurd", "en": "approved"},
    "mark_rejected": {"nl": "afgewezen", "en": "rejected"},
    "notable_marks_file": {"nl": "Voorgesteld als opvallend", "en": "Proposed as notable"},
    "no_marks": {
        "nl": "Dit bestand is niet voorgesteld als opvallend.",
        "en": "This file has not been proposed as notable.",
    },
    "mark_help": {
        "nl": "Stel dit bestand voor als opvallend voor de hele eenheid: een "
        "beheerder van de eenheid beslist.",
        "en": "Propose this file as notable for the whole unit: a unit administrator decides.",
    },
    "mark_notable": {"nl": "Voorstellen als opvallend", "en": "Propose as notable"},
    "hashsets": {"nl": "Hashsets", "en": "Hash sets"},
    "hashsets_help": {
        "nl": "Elke versie van elke hashset. Nieuwe verwerkingen gebruiken de "
        "actieve versie; een rapport noemt de versie die het gebruikte.",
        "en": "Every version of every hash set. New runs use the active "
        "version; a report names the version it used.",
    },
    "hashset_name": {"nl": "Naam", "en": "Name"},
    "hashset_version": {"nl": "Versie", "en": "Version"},
    "hashset_kind_known": {"nl": "gekend", "en": "known"},
    "hashset_kind_notable": {"nl": "opvallend", "en": "notable"},
    "hashset_rows": {"nl": "Rijen", "en": "Rows"},
    "hashset_hashes": {"nl": "Hashes", "en": "Hashes"},
    "hashset_imported": {"nl": "Ingelezen door, op", "en": "Imported by, on"},
    "hashset_malformed": {"nl": "onleesbare regels", "en": "malformed lines"},
    "hashset_active": {"nl": "actief", "en": "active"},
    "hashset_older": {"nl": "oudere versie", "en": "older version"},
    "hashset_importing": {"nl": "wordt ingelezen", "en": "importing"},
    "no_hashsets": {"nl": "Nog geen hashsets.", "en": "No hash sets yet."},
    "xzone_ask": {
        "nl": "Heeft een andere zone deze bestanden gezien? (de vraag wordt gelogd, "
        "ook bij de andere zone)",
        "en": "Has another zone seen these files? (the question is logged, also "
        "for the other zone)",
    },
    "xzone_title": {"nl": "Treffer bij een andere zone", "en": "Hit in another zone"},
    "xzone_help": {
        "nl": "Voor de opvallende en voorgestelde bestanden van dit stuk: of een "
        "dossier van een andere zone hetzelfde bestand heeft, en welke zone. "
        "Meer krijgt u alleen als die zone een verzoek inwilligt.",
        "en": "For the notable and proposed files of this item: whether a case of "
        "another zone holds the same file, and which zone. You learn more "
        "only if that zone grants a request.",
    },
    "xzone_answer": {"nl": "Antwoord", "en": "Answer"},
    "xzone_hit": {"nl": "treffer:", "en": "hit:"},
    "xzone_no_hit": {"nl": "geen treffer", "en": "no hit"},
    "xzone_nothing": {
        "nl": "Dit stuk heeft geen opvallende of voorgestelde bestanden.",
        "en": "This item has no notable or proposed files.",
    },
    "xzone_request": {"nl": "Verzoek om gegevens", "en": "Disclosure request"},
    "xzone_purpose": {"nl": "Doel", "en": "Purpose"},
    "xzone_request_button": {"nl": "Verzoek sturen", "en": "Send the request"},
    "xzone_requests": {"nl": "Verzoeken tussen zones", "en": "Requests between zones"},
    "xzone_requests_help": {
        "nl": "Een inwilliging deelt alleen het dossiernummer en een contactpersoon; een "
        "weigering deelt niets. Beide worden voor beide zones gelogd.",
        "en": "A grant discloses only the case number and a contact; a refusal discloses "
        "nothing. Both are logged for both zones.",
    },
    "xzone_received": {"nl": "Ontvangen", "en": "Received"},
    "xzone_sent": {"nl": "Verstuurd", "en": "Sent"},
    "xzone_from": {"nl": "Van", "en": "From"},
    "xzone_to": {"nl": "Aan", "en": "To"},
    "xzone_holding": {"nl": "Uw dossiers met dit bestand", "en": "Your cases holding the file"},
    "xzone_disclosed": {"nl": "Meegedeeld", "en": "Disclosed"},
    "xzone_state_pending": {"nl": "open", "en": "pending"},
    "xzone_state_granted": {"nl": "ingewilligd", "en": "granted"},
    "xzone_state_refused": {"nl": "geweigerd", "en": "refused"},
    "xzone_disclose_case": {"nl": "Mee te delen dossier", "en": "Case to disclose"},
    "xzone_contact": {"nl": "Contactpersoon", "en": "Contact"},
    "xzone_grant": {"nl": "Inwilligen", "en": "Grant"},
    "xzone_refuse": {"nl": "Weigeren", "en": "Refuse"},
    "xzone_none_received": {"nl": "Geen ontvangen verzoeken.", "en": "No requests received."},
    "xzone_none_sent": {"nl": "Geen verstuurde verzoeken.", "en": "No requests sent."},
    # processing stages (lccu.tasks.stages.STAGES and the report), as the processing page names them
    "filter_rule": {"nl": "YARA-regel", "en": "YARA rule"},
    "filter_kind": {"nl": "Hashset", "en": "Hash set"},
    "filter_min_size": {"nl": "Grootte vanaf (bytes)", "en": "Size from (bytes)"},
    "filter_max_size": {"nl": "Grootte tot en met (bytes)", "en": "Size up to (bytes)"},
    "filter_since": {"nl": "Gewijzigd vanaf (UTC)", "en": "Modified from (UTC)"},
    "filter_until": {"nl": "Gewijzigd tot en met (UTC)", "en": "Modified up to (UTC)"},
    "no_thumbnail": {"nl": "geen miniatuur", "en": "no thumbnail"},
    "no_preview": {"nl": "geen voorbeeld", "en": "no preview"},
    "err_declared_hash_mismatch": {
        "nl": "{file}: opgegeven {declared}, maar de ontvangen gegevens hebben als hash "
        "{observed}. Er is niets opgeslagen en niets als overtuigingsstuk vastgelegd; "
        "stuur het juiste bestand.",
        "en": "{file}: declared {declared} but the data received hash to {observed}. "
        "Nothing was stored and nothing recorded as evidence; send the right file.",
    },
    "err_declared_hash_of_container": {
        "nl": "{file}: opgegeven {declared}, maar de schijf in de container heeft als hash "
        "{observed}. De opgegeven hash is die van het containerbestand {container}, niet van "
        "de schijf die het bevat: geef de hash van de verworven schijf op. Er is niets "
        "opgeslagen.",
        "en": "{file}: declared {declared} but the disk in the container hashes to "
        "{observed}. The declared hash is that of the container file {container}, not of "
        "the disk it carries: declare the hash of the acquired disk. Nothing was stored.",
    },
    "err_declared_hash_invalid": {
        "nl": "De opgegeven {algorithm} moet {digits} hexadecimale tekens zijn, niet {value}.",
        "en": "The declared {algorithm} must be {digits} hexadecimal digits, not {value}.",
    },
    "err_empty_file": {
        "nl": "{file} is leeg (0 bytes); er is niets op te nemen.",
        "en": "{file} is empty (0 bytes); there is nothing to take in.",
    },
    "err_description_needed": {
        "nl": "Een overtuigingsstuk heeft een omschrijving nodig.",
        "en": "An evidence item needs a description.",
    },
    "err_exhibit_number_used": {
        "nl": "Stuknummer {number} is al gebruikt in dit dossier; er is niets opgeslagen.",
        "en": "Exhibit number {number} is already used in this case; nothing was stored.",
    },
    "err_segment_missing": {
        "nl": "Segment {segment} ontbreekt (na {after}); er is niets opgeslagen.",
        "en": "Segment {segment} is missing (after {after}); nothing was stored.",
    },
    "err_segments_out_of_order": {
        "nl": "Segmenten in de verkeerde volgorde: {given} staat waar {belongs} hoort. "
        "Stuur ze in volgorde.",
        "en": "Segments out of order: {given} was given where {belongs} belongs. "
        "Send them in order.",
    },
    "err_ewf_not_segment": {
        "nl": "{file} is geen EWF-segment, maar {first} wel: stuur alleen de segmenten van "
        "één image.",
        "en": "{file} is not an EWF segment, but {first} is: send only the segments of one image.",
    },
    "err_ewf_segment_number": {
        "nl": "{file} is volgens zijn kop segment {number} van zijn image, maar werd als "
        "segment {index} gestuurd: segmenten in de verkeerde volgorde of van een ander image.",
        "en": "{file} is segment {number} of its image by its header, but was sent as "
        "segment {index}: segments out of order or from another image.",
    },
    "err_ewf_last_missing": {
        "nl": "{missing} ontbreekt: na {file} volgt nog een segment. Er is niets opgeslagen; "
        "stuur alle segmenten.",
        "en": "{missing} is missing: another segment follows {file}. Nothing was stored; "
        "send every segment.",
    },
    "err_ewf_after_last": {
        "nl": "{file} is het laatste segment van zijn image, maar {following} volgt erop: "
        "stuur alleen de segmenten van één image.",
        "en": "{file} is the last segment of its image but {following} follows it: send "
        "only one image's segments.",
    },
    "err_not_part_of_image": {
        "nl": "{files}: geen deel van het image dat met {first} begint; stuur alleen de "
        "bestanden van één image. Er is niets opgeslagen.",
        "en": "{files}: not part of the image that {first} starts; send only one image's "
        "files. Nothing was stored.",
    },
    "err_image_unreadable": {
        "nl": "{file}: de bestanden vormen geen leesbaar image; er is niets opgeslagen.",
        "en": "{file}: the files do not make a readable image; nothing was stored.",
    },
    "err_image_unreadable_because": {
        "nl": "De bestanden vormen geen leesbaar image ({reasons}); er is niets opgeslagen.",
        "en": "The files do not make a readable image ({reasons}); nothing was stored.",
    },
    "err_split_segment_size": {
        "nl": "{file} is {size} bytes terwijl {first} {first_size} bytes is: de segmenten "
        "van een gesplitst image zijn even lang als het eerste, behalve het laatste dat niet "
        "langer is.",
        "en": "{file} is {size} bytes while {first} is {first_size}: segments of a split "
        "image are all as long as the first but the last, which is no longer.",
    },
    "err_upload_first_file_first": {
        "nl": "{file} is een {kind}, maar {first} niet: stuur het eerste bestand van het "
        "image eerst (de .E01, de VMDK-beschrijving); er is niets opgeslagen.",
        "en": "{file} is a {kind} but {first} is not: send the image's first file first "
        "(the .E01, the VMDK descriptor); nothing was stored.",
    },
    "err_upload_files_invalid": {
        "nl": "Elk bestand van de upload heeft een naam en een grootte boven 0 bytes nodig.",
        "en": "Each file of the upload needs a name and a size above 0 bytes.",
    },
    "err_upload_files_sizes": {
        "nl": "De bestanden zijn samen {sum} bytes, niet de {total} bytes van de upload.",
        "en": "The files add up to {sum} bytes, not the upload's {total}.",
    },
    "err_upload_files_duplicate": {
        "nl": "Twee bestanden van de upload hebben dezelfde naam.",
        "en": "Two files of the upload have the same name.",
    },
    "err_upload_more_than_files": {
        "nl": "De upload stuurde meer bytes dan de bestanden bevatten; er is niets opgeslagen.",
        "en": "The upload sent more bytes than its files hold; nothing was stored.",
    },
    "err_upload_too_large": {
        "nl": "{size} bytes is meer dan het maximum van {max} bytes.",
        "en": "{size} bytes is more than the maximum of {max} bytes.",
    },
    "err_upload_sent_too_much": {
        "nl": "Meer bytes ontvangen dan de opgegeven {size}; de upload is verworpen, er is "
        "niets vastgelegd.",
        "en": "More bytes than the declared {size}; the upload was discarded, nothing recorded.",
    },
    "err_upload_offset": {
        "nl": "De server verwachtte de gegevens vanaf byte {expected}, niet vanaf {offset}.",
        "en": "The server expected the data from byte {expected}, not from {offset}.",
    },
    "err_upload_incomplete": {
        "nl": "De upload is onvolledig: {received} van {size} bytes ontvangen.",
        "en": "The upload is incomplete: {received} of {size} bytes received.",
    },
    "err_upload_not_found": {
        "nl": "Deze upload bestaat niet (meer): hij is misschien beëindigd of de server is "
        "herstart. Begin de upload opnieuw.",
        "en": "This upload does not exist (any more): it may have ended, or the server "
        "restarted. Start the upload again.",
    },
    "err_upload_not_completing": {
        "nl": "Deze upload wordt niet afgerond; rond hem eerst af.",
        "en": "This upload is not being completed; complete it first.",
    },
    "err_upload_ended_taken_in": {
        "nl": "De upload van {file} is al als overtuigingsstuk opgenomen.",
        "en": "The upload of {file} was already taken in as evidence.",
    },
    "err_upload_ended_refused": {
        "nl": "De upload van {file} is niet opgenomen (geweigerd of mislukt); er is niets "
        "vastgelegd. Begin opnieuw.",
        "en": "The upload of {file} was not taken in (refused or failed); nothing was "
        "recorded. Start again.",
    },
    "err_upload_ended_cancelled": {
        "nl": "De upload van {file} is geannuleerd; er is niets vastgelegd.",
        "en": "The upload of {file} was cancelled; nothing was recorded.",
    },
    "err_upload_ended_too_much": {
        "nl": "De upload van {file} stuurde meer bytes dan opgegeven en is verworpen.",
        "en": "The upload of {file} sent more bytes than it declared and was discarded.",
    },
    "err_upload_ended_idle": {
        "nl": "De upload van {file} is stopgezet: {minutes} minuten lang niets ontvangen; er "
        "is niets opgeslagen.",
        "en": "The upload of {file} was abandoned: nothing received for {minutes} minutes; "
        "nothing stored.",
    },
    "err_upload_slots_user": {
        "nl": "U hebt al {count} uploads lopen (het maximum per gebruiker): rond er een af of "
        "annuleer er een. Een upload die {minutes} minuten niets ontvangt, wordt stopgezet.",
        "en": "You have {count} uploads in progress (the most one user may): finish or "
        "cancel one first. An upload that receives nothing for {minutes} minutes is "
        "abandoned.",
    },
    "err_upload_slots_zone": {
        "nl": "{zone} heeft al {count} uploads lopen (het maximum per zone); probeer opnieuw "
        "wanneer er een klaar is.",
        "en": "{zone} has {count} uploads in progress (the most one zone may); try again "
        "when one has finished.",
    },
    "err_uploads_busy": {
        "nl": "Er lopen {count} uploads op deze server; probeer opnieuw wanneer er een klaar is.",
        "en": "{count} uploads are in progress on this server; try again when one has finished.",
    },
    "err_access_denied": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}). De weigering is in de auditlog "
        "vastgelegd.",
        "en": "Refused: {user} may not do this ({operation}). The refusal has been written "
        "to the audit log.",
    },
    "err_access_denied_dpo": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): een functionaris voor "
        "gegevensbescherming leest de auditlog, niet de inhoud van dossiers.",
        "en": "Refused: {user} may not do this ({operation}): a data protection officer "
        "reads the audit log, not case contents.",
    },
    "err_access_denied_admin": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): een eenheidsbeheerder beheert "
        "zones en gebruikers, niet de inhoud van dossiers.",
        "en": "Refused: {user} may not do this ({operation}): a unit admin administers "
        "zones and users, not case contents.",
    },
    "err_access_denied_role": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): de rol {user_role} wijzigt geen "
        "dossiers.",
        "en": "Refused: {user} may not do this ({operation}): the role {user_role} does not "
        "change cases.",
    },
    "err_access_denied_not_shared": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): dossier {case} behoort tot "
        "{owner} en is niet gedeeld met {zone}. De weigering is in de auditlog vastgelegd.",
        "en": "Refused: {user} may not do this ({operation}): case {case} belongs to {owner} "
        "and is not shared with {zone}. The refusal has been written to the audit log.",
    },
    "err_access_denied_read_only": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): dossier {case} is met {zone} "
        "alleen ter inzage gedeeld.",
        "en": "Refused: {user} may not do this ({operation}): case {case} is shared with "
        "{zone} read-only.",
    },
    "err_access_denied_owner_only": {
        "nl": "Geweigerd: {user} mag dit niet ({operation}): alleen de zone die het dossier "
        "beheert ({owner}) mag dit.",
        "en": "Refused: {user} may not do this ({operation}): only the owning zone ({owner}) "
        "may do this.",
    },
    "err_no_such": {
        "nl": "Niet gevonden: {ref}.",
        "en": "Not found: {ref}.",
    },
    "err_case_title_needed": {
        "nl": "Een dossier heeft een titel nodig.",
        "en": "A case needs a title.",
    },
    "err_case_number_taken": {
        "nl": "Dossiernummer {number} is al in gebruik.",
        "en": "Case number {number} is taken.",
    },
    "err_zone_not_found": {
        "nl": "Er is geen zone {zone}.",
        "en": "There is no zone {zone}.",
    },
    "err_share_own_zone": {
        "nl": "Dossier {case} behoort al tot {zone}.",
        "en": "Case {case} already belongs to {zone}.",
    },
    "err_share_permission": {
        "nl": "De toegang moet 'lezen' of 'bijdragen' zijn.",
        "en": "The permission must be 'read' or 'contribute'.",
    },
    "err_not_shared": {
        "nl": "Dossier {case} is niet gedeeld met {zone}.",
        "en": "Case {case} is not shared with {zone}.",
    },
    "err_required_purpose": {
        "nl": "Het doel van het delen is verplicht.",
        "en": "The purpose of the share is required.",
    },
    "err_required_zone": {"nl": "De zone is verplicht.", "en": "The zone is required."},
    "err_required_reason": {"nl": "De reden is verplicht.", "en": "The reason is required."},
    "err_share_expiry": {
        "nl": "De vervaldatum moet in de toekomst liggen en binnen vijf jaar.",
        "en": "The expiry must be in the future and within five years.",
    },
    "err_unknown_action": {
        "nl": "Onbekende handeling {action}.",
        "en": "Unknown action {action}.",
    },
    "err_event_time_range": {
        "nl": "Het tijdstip van de gebeurtenis moet na 1990 liggen en niet in de toekomst.",
        "en": "The time of the event must be after 1990 and not in the future.",
    },
    "err_not_a_date": {
        "nl": "{text} is geen datum (JJJJ-MM-DD).",
        "en": "{text} is not a date (YYYY-MM-DD).",
    },
    "err_not_a_datetime": {
        "nl": "{text} is geen datum en tijd (JJJJ-MM-DDTUU:MM).",
        "en": "{text} is not a date and time (YYYY-MM-DDTHH:MM).",
    },
    "err_event_time_offset_needed": {
        "nl": "Het tijdstip van de gebeurtenis heeft een tijdzoneverschil nodig, bv. +01:00 "
        "(winter) of +02:00 (zomer) in België.",
        "en": "The time of the event needs its time zone offset, e.g. +01:00 (winter) or "
        "+02:00 (summer) in Belgium.",
    },
    "err_not_an_offset": {
        "nl": "{text} is geen tijdzoneverschil (bv. +01:00, -05:00, Z).",
        "en": "{text} is not a time zone offset (e.g. +01:00, -05:00, Z).",
    },
    "err_custody_chain_broken": {
        "nl": "Gebeurtenis niet vastgelegd: ze zou de bewaringsketen breken ({reasons}).",
        "en": "Event not recorded: it would break the chain of custody ({reasons}).",
    },
    "err_sha256_invalid": {
        "nl": "Een SHA-256 bestaat uit 64 hexadecimale tekens.",
        "en": "A SHA-256 is 64 hexadecimal digits.",
    },
    "err_field_required": {"nl": "{field}: verplicht.", "en": "{field}: required."},
    "err_field_too_long": {
        "nl": "{field}: 1 tot {limit} tekens, zonder NUL-teken.",
        "en": "{field}: 1 to {limit} characters, without NUL.",
    },
    "field_legal_basis": {"nl": "Rechtsgrond", "en": "Legal basis"},
    "field_reason": {"nl": "Reden", "en": "Reason"},
    "field_purpose": {"nl": "Doel", "en": "Purpose"},
    "field_contact": {"nl": "Contactpersoon", "en": "Contact"},
    "field_note": {"nl": "Notitie", "en": "Note"},
    "field_file_name": {"nl": "Bestandsnaam", "en": "File name"},
    "err_request_decided": {
        "nl": "Over dit verzoek is al beslist ({request_state}).",
        "en": "This request has already been decided ({request_state}).",
    },
    "err_name_case_to_disclose": {
        "nl": "Kies het dossier dat u wilt vrijgeven (dossiers met dit bestand: {cases}).",
        "en": "Choose the case to disclose (cases holding the file: {cases}).",
    },
    "err_case_lacks_file": {
        "nl": "Dossier {case} bevat dit bestand niet.",
        "en": "Case {case} does not hold this file.",
    },
    "err_label_invalid": {
        "nl": "Label {label}: 1 tot 60 letters, cijfers, spaties, '.', '+', '-' of '_', "
        "beginnend met een letter of cijfer.",
        "en": "Label {label}: 1 to 60 letters, digits, spaces, '.', '+', '-' or '_', "
        "starting with a letter or digit.",
    },
    "err_label_not_defined": {
        "nl": "Label {label} is geen van de labels van dossier {case}: {labels}.",
        "en": "Label {label} is not one of the tag labels of case {case}: {labels}.",
    },
    "err_text_nul": {
        "nl": "{field}: bevat een NUL-teken.",
        "en": "{field}: holds a NUL character.",
    },
    "err_file_ref_needed": {
        "nl": "Geef het bestand aan met zijn pad (/map/bestand.txt), inode of SHA-256.",
        "en": "Name the file by its path (/dir/file.txt), inode or SHA-256.",
    },
    "err_file_not_in_report": {
        "nl": "Geen bestand {file} in het verwerkingsrapport van {exhibit}.",
        "en": "No file {file} in the processing report of {exhibit}.",
    },
    "err_file_ambiguous": {
        "nl": "{count} bestanden {file}: {shown}. Kies het volume of de inode.",
        "en": "{count} files {file}: {shown}. Choose the volume or the inode.",
    },
    "err_case_not_open": {
        "nl": "Dossier {case} is niet meer open.",
        "en": "Case {case} is no longer open.",
    },
    "err_mark_reason_needed": {
        "nl": "Een markering als opvallend heeft een reden nodig.",
        "en": "A notable mark needs a reason.",
    },
    "err_file_no_sha256": {
        "nl": "{file} heeft geen SHA-256 in het rapport (de inhoud kon niet gelezen worden).",
        "en": "{file} has no SHA-256 in the report (its content could not be read).",
    },
    "err_mark_decided": {
        "nl": "Over deze markering is al beslist ({mark_state}).",
        "en": "This mark has already been decided ({mark_state}).",
    },
    "err_rejection_reason_needed": {
        "nl": "Een afwijzing heeft een reden nodig.",
        "en": "A rejection needs a reason.",
    },
    "err_category_invalid": {
        "nl": "Categorie {category}: 1 tot 60 letters, cijfers, spaties, '.', '+', '/', '-' "
        "of '_', beginnend met een letter of cijfer.",
        "en": "Category {category}: 1 to 60 letters, digits, spaces, '.', '+', '/', '-' or "
        "'_', starting with a letter or digit.",
    },
    "err_password_too_short": {
        "nl": "Een wachtwoord heeft minstens {count} tekens nodig.",
        "en": "A password needs at least {count} characters.",
    },
    "err_token_name": {
        "nl": "De naam van een token heeft 1 tot 100 tekens.",
        "en": "A token name has 1 to 100 characters.",
    },
    "err_token_days": {
        "nl": "Een token leeft 1 tot {max} dagen, niet {days}.",
        "en": "A token lives 1 to {max} days, not {days}.",
    },
    "err_countersign_role": {
        "nl": "Onbekende rol {role} voor een medeondertekening.",
        "en": "Unknown countersigning role {role}.",
    },
    "err_countersign_seq": {
        "nl": "{seq} is geen volgnummer van een gebeurtenis.",
        "en": "{seq} is not an event sequence number.",
    },
    "err_custody_event_missing": {
        "nl": "Dossier {case} heeft geen bewaringsgebeurtenis {seq}.",
        "en": "Case {case} has no custody event {seq}.",
    },
    "err_countersign_not_handover": {
        "nl": "Gebeurtenis {seq} is een {custody_action}, geen overdracht, uitlening of "
        "teruggave: alleen die worden medeondertekend.",
        "en": "Event {seq} is a {custody_action}, not a hand-over (transfer, check-out, "
        "check-in): only hand-overs are countersigned.",
    },
    "err_countersign_own_event": {
        "nl": "U hebt gebeurtenis {seq} zelf vastgelegd en al ondertekend; medeondertekenen "
        "is voor de andere partijen.",
        "en": "You recorded event {seq} and signed it already; a countersignature is for the "
        "other parties.",
    },
    "err_countersign_not_named": {
        "nl": "Gebeurtenis {seq} noemt {user} niet als ontvanger, getuige of afgever: alleen "
        "zij ondertekenen mee.",
        "en": "Event {seq} does not name {user} as receiver, witness or releaser: only they "
        "countersign it.",
    },
    "err_countersign_other_party": {
        "nl": "Gebeurtenis {seq} noemt {party} als {role}, niet {user}: alleen die ondertekent "
        "mee.",
        "en": "Event {seq} names {party} as {role}, not {user}: only they countersign it.",
    },
    "err_countersign_done": {
        "nl": "Gebeurtenis {seq} is al medeondertekend als {role} door {signer} op {at}.",
        "en": "Event {seq} was already countersigned as {role} by {signer} at {at}.",
    },
    "err_countersign_wrong_key": {
        "nl": "De ondertekeningssleutel van {user} is niet de geregistreerde sleutel: "
        "onderteken met uw huidige sleutel.",
        "en": "The signing key of {user} is not their registered key: countersign with your "
        "current key.",
    },
    "err_countersign_race": {
        "nl": "Gebeurtenis {seq} werd op hetzelfde moment door een ander verzoek als {role} "
        "medeondertekend.",
        "en": "Event {seq} was countersigned as {role} at the same moment by another request.",
    },
    "err_verdict_invalid": {
        "nl": "Toegestaan moet ja/nee (of true/false) zijn, niet {text}.",
        "en": "Allowed must be yes/no (or true/false), not {text}.",
    },
    "err_date_range_reversed": {
        "nl": "De periode eindigt voor ze begint.",
        "en": "The date range ends before it starts.",
    },
    "err_no_timeline": {
        "nl": "De tijdlijnstap van deze verwerking heeft geen tijdlijn opgeslagen.",
        "en": "This run's timeline stage stored no timeline.",
    },
    "err_no_file_on_volume": {
        "nl": "Geen bestand {file} op volume {volume} in de verwerkte bestanden van dit stuk.",
        "en": "No file {file} on volume {volume} in this item's processed files.",
    },
    "err_content_not_kept": {
        "nl": "{file}: de inhoud werd bij de verwerking niet bewaard en zit niet als geheel "
        "bestand in het image.",
        "en": "{file}: its content was not kept by the processing run and is not in the "
        "image as a whole file.",
    },
    "err_not_a_file": {
        "nl": "{file} is geen bestand met inhoud.",
        "en": "{file} is not a file with content.",
    },
    "err_no_stored_image": {
        "nl": "Stuk {exhibit} heeft geen opgeslagen image om te verwerken.",
        "en": "Evidence {exhibit} has no stored image to process.",
    },
    "err_request_invalid": {
        "nl": "Ongeldige of ontbrekende invoer in: {fields}.",
        "en": "Invalid or missing input in: {fields}.",
    },
    "err_no_run": {
        "nl": "Geen zulke verwerking van stuk {exhibit}.",
        "en": "No such processing run of evidence {exhibit}.",
    },
    "err_no_file_of_item": {
        "nl": "Geen zulk bestand in stuk {exhibit}.",
        "en": "No such file in evidence {exhibit}.",
    },
    "err_key_revoked": {
        "nl": "De ondertekeningssleutel van {user} werd ingetrokken op {at}; een operator "
        "geeft een nieuwe.",
        "en": "The signing key of {user} was revoked at {at}; an operator gives a new one.",
    },
    "err_key_locked": {
        "nl": "De ondertekeningssleutel van {user} is vergrendeld: ontgrendel hem met uw "
        "wachtwoord op de pagina Sleutel (/key).",
        "en": "The signing key of {user} is locked: unlock it with your password on the Key "
        "page (/key).",
    },
    "err_key_wrong_passphrase": {
        "nl": "Dit wachtwoord ontgrendelt de ondertekeningssleutel niet.",
        "en": "This passphrase does not unlock the signing key.",
    },
    "err_session_ended": {
        "nl": "U bent niet (meer) aangemeld; meld u opnieuw aan.",
        "en": "You are not logged in (any more); log in again.",
    },
    "err_page_not_found": {
        "nl": "Deze pagina bestaat niet.",
        "en": "This page does not exist.",
    },
    "err_chunk_too_large": {
        "nl": "Een deel van de upload is groter dan de server aanvaardt.",
        "en": "A part of the upload is larger than the server accepts.",
    },
    "err_not_processed": {
        "nl": "Dit stuk is nog niet verwerkt, of de verwerking is nog niet klaar. Start ze op "
        "de pagina Verwerking van het stuk; de resultaten staan hier zodra ze klaar is.",
        "en": "This item has not been processed yet, or its processing has not finished. "
        "Start it on the item's Processing page; the results appear here once it is done.",
    },
    # the evidence store (S3, the local evidence folder) as a web user meets it
    "err_store_unreachable": {
        "nl": "De opslag (S3-server {endpoint}) is niet bereikbaar, ook niet na {retries} "
        "nieuwe pogingen; er is niets vastgelegd. Probeer het later opnieuw; blijft het zo, "
        "waarschuw dan de beheerder.",
        "en": "The store (S3 server {endpoint}) cannot be reached, not even after {retries} "
        "retries; nothing was recorded. Try again later; if it stays so, tell the "
        "administrator.",
    },
    "err_store_stalled": {
        "nl": "De opslag (S3-server {endpoint}) antwoordde niet binnen {seconds} s: ze is "
        "vastgelopen of overbelast; er is niets vastgelegd. Probeer het later opnieuw.",
        "en": "The store (S3 server {endpoint}) did not answer within {seconds} s: it is "
        "stalled or overloaded; nothing was recorded. Try again later.",
    },
    "err_store_refused": {
        "nl": "De opslag (S3-server {endpoint}) weigerde de bewerking ({code}); waarschuw de "
        "beheerder.",
        "en": "The store (S3 server {endpoint}) refused the operation ({code}); tell the "
        "administrator.",
    },
    "err_store_read_unavailable": {
        "nl": "De opslag antwoordde niet bij het lezen van {object}: ze is niet bereikbaar of "
        "overbelast. Probeer het later opnieuw.",
        "en": "The store did not answer while reading {object}: it cannot be reached or is "
        "overloaded. Try again later.",
    },
    "err_store_size_differs": {
        "nl": "De opslag bewaart {held} bytes van {object}, maar er werden {sent} verstuurd; "
        "meld dit aan de bewijsbeheerder en neem de upload opnieuw op.",
        "en": "The store holds {held} bytes of {object} but {sent} were sent; report this to "
        "the evidence officer and take the upload in again.",
    },
    "err_evidence_size_differs": {
        "nl": "Het bewijsstuk {object} is {held} bytes in de opslag, maar bij de opname werden "
        "{recorded} bytes vastgelegd; stop en meld het aan de bewijsbeheerder.",
        "en": "Evidence {object} is {held} bytes in the store but {recorded} were recorded at "
        "intake; stop and report it to the evidence officer.",
    },
    "err_media_size_differs": {
        "nl": "{file}: de media leverde {read} bytes bij het lezen, maar is {size} bytes "
        "groot; er is niets opgeslagen.",
        "en": "{file}: reading the media gave {read} bytes but it is {size} bytes; nothing "
        "was stored.",
    },
    "err_staging_changed": {
        "nl": "{file}: de tussenkopie heeft niet meer dezelfde hash als de ontvangen bytes "
        "(gewijzigd in de opslag?); er is niets opgeslagen. Stuur het opnieuw en waarschuw de "
        "bewijsbeheerder.",
        "en": "{file}: the staging copy no longer hashes as the bytes received (changed in "
        "the store?); nothing was stored. Send it again and tell the evidence officer.",
    },
    "err_store_still_writing": {
        "nl": "De opslag schrijft het laatste deel nog weg; vraag het zo dadelijk opnieuw.",
        "en": "The store is still writing the last part; ask again in a moment.",
    },
    "err_store_no_result": {
        "nl": "De opslag gaf geen resultaat; er is niets opgenomen.",
        "en": "The store gave no result; nothing was taken in.",
    },
    # the case's investigative question
    "err_question_empty": {"nl": "De vraag is leeg.", "en": "The question is empty."},
    "err_question_nul": {
        "nl": "De vraag bevat een NUL-teken.",
        "en": "The question holds a NUL character.",
    },
    "err_question_too_long": {
        "nl": "De vraag is {length} tekens lang; ten hoogste 4000.",
        "en": "The question is {length} characters; at most 4000.",
    },
    # why a custody event would break the chain (err_custody_chain_broken lists them)
    "err_custody_rule_after_disposal": {
        "nl": "een gebeurtenis '{custody_action}' voor stuk {item} nadat het bij "
        "gebeurtenis {at} als '{disposal}' werd vastgelegd: daarna kunnen alleen inzage, "
        "notities en exports volgen",
        "en": "a '{custody_action}' event for item {item} after it was recorded as "
        "'{disposal}' at event {at}: after that only views, notes and exports may follow",
    },
    "err_custody_rule_no_intake": {
        "nl": "een gebeurtenis '{custody_action}' voor stuk {item} door {releaser}, maar er "
        "gaat geen opname van het stuk aan vooraf: niemand had het in bewaring om over te dragen",
        "en": "a '{custody_action}' event for item {item} by {releaser}, but no intake of the "
        "item comes before it: nobody had custody to hand over",
    },
    "err_custody_rule_not_custodian": {
        "nl": "stuk {item} werd afgegeven door {releaser}, maar op dat moment had "
        "{custodian} het in bewaring (sinds gebeurtenis {since})",
        "en": "item {item} was released by {releaser}, but its custodian at that moment was "
        "{custodian} (since event {since})",
    },
    "err_custody_rule_left_from": {
        "nl": "stuk {item} vertrok uit '{origin}', maar het was in '{place}' (sinds gebeurtenis "
        "{since}): een stuk is op één plaats tegelijk",
        "en": "item {item} left from '{origin}', but it was at '{place}' (since event "
        "{since}): an item is in one place at a time",
    },
    "err_custody_rule_not_moved": {
        "nl": "stuk {item} staat genoteerd in '{here}', maar het was in '{place}' (sinds "
        "gebeurtenis {since}) en geen overdracht, uitlening of terugbrenging heeft het "
        "verplaatst: een stuk is op één plaats tegelijk",
        "en": "item {item} is recorded at '{here}', but it was at '{place}' (since event "
        "{since}) and no transfer, check-out or check-in moved it: an item is in one place "
        "at a time",
    },
    "err_custody_rule_seal_was_broken": {
        "nl": "de zegel van stuk {item} staat vóór deze gebeurtenis als {seal} genoteerd, maar "
        "de zegel werd verbroken bij gebeurtenis {at} en sindsdien is er niet opnieuw verzegeld",
        "en": "the seal of item {item} is recorded as {seal} before this event, but the seal "
        "was broken at event {at} and no reseal was recorded since",
    },
    "err_custody_rule_never_sealed": {
        "nl": "de zegel van stuk {item} staat vóór deze gebeurtenis als {seal} genoteerd, maar "
        "er werd nooit een zegel op vastgelegd",
        "en": "the seal of item {item} is recorded as {seal} before this event, but no seal "
        "was ever recorded on it",
    },
    "err_custody_rule_other_seal": {
        "nl": "de zegel van stuk {item} staat vóór deze gebeurtenis als {seal} genoteerd, maar "
        "na de vorige gebeurtenis was de zegel {before} (sinds gebeurtenis {since}) en er "
        "werd geen verbreking vastgelegd",
        "en": "the seal of item {item} is recorded as {seal} before this event, but the seal "
        "after the previous event was {before} (since event {since}) and no seal break was "
        "recorded",
    },
    "err_custody_rule_no_seal_to_break": {
        "nl": "er wordt een zegelverbreking op stuk {item} vastgelegd, maar het droeg op dat "
        "moment geen zegel",
        "en": "a seal break is recorded on item {item}, but it carried no seal at that moment",
    },
    "err_custody_rule_no_seal_intact": {
        "nl": "de zegel van stuk {item} staat als ongeschonden genoteerd, maar het droeg op dat "
        "moment geen zegel",
        "en": "the seal of item {item} is recorded as intact, but it carried no seal at that "
        "moment",
    },
    "err_custody_rule_reseal_number": {
        "nl": "de herverzegeling van stuk {item} vermeldt het nieuwe zegelnummer niet",
        "en": "the reseal of item {item} does not record the new seal number",
    },
    "err_custody_rule_reseal_intact": {
        "nl": "stuk {item} werd opnieuw verzegeld met {seal} terwijl zegel {before} (sinds "
        "gebeurtenis {since}) ongeschonden was: er werd geen verbreking vastgelegd",
        "en": "item {item} was resealed with {seal} while seal {before} (since event {since}) "
        "was intact: no seal break was recorded",
    },
    "err_custody_rule_break_with_seal": {
        "nl": "een zegelverbreking laat stuk {item} onverzegeld, maar deze gebeurtenis vermeldt "
        "daarna zegel {seal}: een nieuwe zegel wordt met een herverzegeling vastgelegd",
        "en": "a seal break on item {item} leaves it unsealed, yet this event records seal "
        "{seal} after it: a new seal is recorded by a reseal event",
    },
    "err_custody_rule_seal_changed": {
        "nl": "stuk {item} ging van zegel {before} naar zegel {seal} tijdens deze gebeurtenis "
        "({custody_action}) zonder vastgelegde verbreking en herverzegeling",
        "en": "item {item} went from seal {before} to seal {seal} during this event "
        "({custody_action}) without a recorded seal break and reseal",
    },
    "err_custody_rule_seal_intact_value": {
        "nl": "'zegel ongeschonden' moet waar of onwaar zijn, niet {value}",
        "en": "'seal intact' must be true or false, not {value}",
    },
    "err_custody_rule_field_text": {
        "nl": "{field} moet een niet-lege tekst zijn, niet {value}",
        "en": "{field} must be a non-empty text, not {value}",
    },
    "err_custody_rule_name_item": {
        "nl": "een gebeurtenis '{custody_action}' gaat over één stuk: kies het stuk",
        "en": "a '{custody_action}' event concerns one evidence item: choose the item",
    },
    "err_custody_rule_fields_need_item": {
        "nl": "{fields} beschrijven een stuk: kies het stuk",
        "en": "{fields} describe an evidence item: choose the item",
    },
    "err_custody_rule_parties_not_here": {
        "nl": "{fields} horen bij een overdracht, uitlening, terugbrenging, teruggave of "
        "vernietiging, niet bij een gebeurtenis '{custody_action}'",
        "en": "{fields} belong to a transfer, check-out, check-in, return or destruction, not "
        "to a '{custody_action}' event",
    },
    "err_custody_rule_to_themselves": {
        "nl": "{user} kan een stuk niet aan zichzelf overdragen; laat de ontvanger leeg om een "
        "verplaatsing door de bewaarder vast te leggen",
        "en": "{user} cannot hand an item over to themselves; leave the receiver empty to "
        "record a move by the custodian",
    },
    "err_custody_rule_witness_party": {
        "nl": "de getuige {user} is partij bij de overdracht, geen getuige",
        "en": "the witness {user} is a party to the hand-over, not a witness",
    },
    "err_custody_rule_locations_differ": {
        "nl": "plaats '{place}' en bestemming '{target}' verschillen",
        "en": "location '{place}' and destination '{target}' differ",
    },
    "err_custody_rule_no_user": {
        "nl": "er is geen gebruiker {user}: afgever en ontvanger zijn gebruikersnamen van lccu",
        "en": "no user {user}: the releaser and the receiver are lccu usernames",
    },
    "err_intake_retained": {
        "nl": "{reasons}. De opname van {file} is geweigerd, maar {count} van de bestanden "
        "waren al vastgelegd en blijven bewaard (lccu verwijdert nooit bewijs; op S3 staan ze "
        "onder objectvergrendeling): {objects}. Dat staat in het auditlogboek en de "
        "bewaringsketen.",
        "en": "{reasons}. The intake of {file} was refused, but {count} of its files were "
        "already committed and are retained (lccu never deletes evidence; on S3 they are "
        "under object lock): {objects}. This is recorded in the audit log and the chain of "
        "custody.",
    },
    "err_intake_retained_unrecorded": {
        "nl": "{reasons}. De opname van {file} is geweigerd, maar {count} van de bestanden "
        "waren al vastgelegd en blijven bewaard (lccu verwijdert nooit bewijs; op S3 staan ze "
        "onder objectvergrendeling): {objects}. Dit vastleggen in het auditlogboek en de "
        "bewaringsketen is MISLUKT: waarschuw de bewijsbeheerder.",
        "en": "{reasons}. The intake of {file} was refused, but {count} of its files were "
        "already committed and are retained (lccu never deletes evidence; on S3 they are "
        "under object lock): {objects}. Recording this in the audit log and custody FAILED: "
        "tell the evidence officer.",
    },
    # images: containers lccu does not read, and damaged ones
    "err_image_unsupported": {
        "nl": "{file} is een {container_kind}; dat leest lccu niet: {advice_kind}.",
        "en": "{file} is a {container_kind}, which lccu does not read: {advice_kind}.",
    },
    "err_image_empty": {
        "nl": "{file} is leeg (0 bytes); er staat geen image in.",
        "en": "{file} is empty (0 bytes); it holds no image.",
    },
    "err_image_not_readable": {
        "nl": "{file} is geen leesbaar {format}-image: het is beschadigd of afgekapt, of er "
        "ontbreekt een deel.",
        "en": "{file} is not a readable {format} image: it is damaged or truncated, or a part "
        "is missing.",
    },
    "err_image_no_media": {
        "nl": "{file}: de container bevat geen mediagegevens.",
        "en": "{file}: the container reports no media data.",
    },
    "err_image_corrupt_at": {
        "nl": "{file}: de gegevens op media-offset {offset} zijn niet te decoderen; de "
        "container is beschadigd of afgekapt.",
        "en": "{file}: the data at media offset {offset} cannot be decoded; the container is "
        "corrupt or truncated.",
    },
    "err_image_read_failed": {
        "nl": "{file}: lezen op offset {offset} is mislukt.",
        "en": "{file}: reading at offset {offset} failed.",
    },
    "err_image_short_read": {
        "nl": "{file}: op offset {offset} werden {expected} bytes verwacht, maar er kwamen er "
        "{got}; het image is afgekapt of veranderde tijdens het lezen.",
        "en": "{file}: expected {expected} bytes at offset {offset}, got {got}; the image is "
        "truncated or changed while being read.",
    },
    "err_vhd_footer_size": {
        "nl": "{file} is een VHD waarvan de voettekst een schijf van {media_size} bytes "
        "beschrijft, met {before} bytes ervoor: de schijf is niet de ontvangen bytes. Een "
        "beheerder kan het opnemen via de opdrachtregel (gelezen met libvhdi); er is niets "
        "opgeslagen.",
        "en": "{file} is a VHD whose footer describes a {media_size}-byte disk with {before} "
        "bytes before it: its disk is not the bytes received. An administrator can take it "
        "in from the command line (read through libvhdi); nothing was stored.",
    },
    "err_image_header_corrupt": {
        "nl": "{file}: de kop van het image is beschadigd of het bestand is afgekapt.",
        "en": "{file}: the image's header is corrupt or the file is truncated.",
    },
    "err_image_truncated_at": {
        "nl": "{file}: de gegevens op bestandsoffset {offset} liggen voorbij het einde van het "
        "bestand; het image is afgekapt.",
        "en": "{file}: the data at file offset {offset} lies beyond the end of the file; the "
        "image is truncated.",
    },
    "err_image_cluster_corrupt": {
        "nl": "{file}: het gecomprimeerde blok op media-offset {offset} is niet uit te pakken; "
        "het image is beschadigd.",
        "en": "{file}: the compressed cluster at media offset {offset} does not inflate; the "
        "image is corrupt.",
    },
    "err_image_needs_parent": {
        "nl": "{file} is een verschil- of overlay-image: de gegevens gaan verder in {parent}, dat "
        "lccu er niet mee samenvoegt; voeg ze samen (bv. qemu-img convert, VMware, Hyper-V) en "
        "voeg het resultaat toe.",
        "en": "{file} is a differencing or overlay image: its data continues in {parent}, which "
        "lccu does not combine; merge them (e.g. qemu-img convert, VMware, Hyper-V) and add the "
        "result.",
    },
    "err_qcow_encrypted": {
        "nl": "{file}: het QCOW-image is versleuteld ({method}); lccu kan het niet lezen zonder "
        "de sleutel: ontsleutel het met qemu-img convert en de wachtzin, en voeg het resultaat "
        "toe.",
        "en": "{file}: the QCOW image is encrypted ({method}); lccu cannot read it without the "
        "key: decrypt it with qemu-img convert and the passphrase, and add the result.",
    },
    "err_qcow_version": {
        "nl": "{file}: QCOW-versie {version} wordt niet ondersteund (1, 2 en 3 wel).",
        "en": "{file}: QCOW version {version} is not supported (1, 2, 3 are).",
    },
    "err_qcow_feature": {
        "nl": "{file}: deze QCOW2 gebruikt {qcow_feature}, wat lccu niet leest; zet het om met "
        "qemu-img convert -O raw en voeg het resultaat toe.",
        "en": "{file}: this QCOW2 uses {qcow_feature}, which lccu does not read; convert it with "
        "qemu-img convert -O raw and add the result.",
    },
    "qcow_feature_2": {"nl": "een extern gegevensbestand", "en": "an external data file"},
    "qcow_feature_3": {"nl": "zstd-compressie", "en": "zstd compression"},
    "qcow_feature_4": {"nl": "uitgebreide L2-items", "en": "extended L2 entries"},
    "err_vmdk_extent_missing": {
        "nl": "{file}: het extentbestand {extent} ontbreekt; voeg elk bestand toe dat de "
        "descriptor noemt ({extents}).",
        "en": "{file}: extent file {extent} is missing; add every file the descriptor lists "
        "({extents}).",
    },
    "err_segment_shrunk": {
        "nl": "{file}: het segment is korter dan bij het openen; het is gewijzigd of afgekapt.",
        "en": "{file}: the segment is shorter than when opened; it changed or is truncated.",
    },
    # what a container lccu recognises but does not read is (err_image_unsupported)
    "container_l01": {
        "nl": "logisch EnCase-bewijsbestand (L01/Lx01)",
        "en": "EnCase logical evidence file (L01/Lx01)",
    },
    "container_vdi": {"nl": "VirtualBox-schijfimage (VDI)", "en": "VirtualBox VDI disk image"},
    "container_aff": {
        "nl": "AFF-image (Advanced Forensic Format)",
        "en": "AFF (Advanced Forensic Format) image",
    },
    "container_parallels": {"nl": "Parallels-schijfimage", "en": "Parallels disk image"},
    "container_zip": {
        "nl": "ZIP-archief (of een AFF4-image)",
        "en": "ZIP archive (or an AFF4 image)",
    },
    "container_gzip": {"nl": "met gzip gecomprimeerd bestand", "en": "gzip-compressed file"},
    "container_xz": {"nl": "met xz gecomprimeerd bestand", "en": "xz-compressed file"},
    "container_bzip2": {"nl": "met bzip2 gecomprimeerd bestand", "en": "bzip2-compressed file"},
    "container_7z": {"nl": "7-Zip-archief", "en": "7-Zip archive"},
    "container_zstd": {"nl": "met zstd gecomprimeerd bestand", "en": "zstd-compressed file"},
    "container_dmg": {
        "nl": "Apple-schijfimage (DMG/UDIF)",
        "en": "Apple disk image (DMG/UDIF)",
    },
    "container_advice_l01": {
        "nl": "een L01 of Lx01 bevat geselecteerde bestanden, geen schijfimage; exporteer de "
        "bestanden met EnCase of ewfexport en voeg ze toe als afzonderlijke stukken",
        "en": "an L01 or Lx01 holds selected files, not a disk image; export the files with "
        "EnCase or ewfexport and add them as separate items",
    },
    "container_advice_vdi": {
        "nl": "zet het eerst om naar raw (bv. met qemu-img convert -O raw) en voeg het "
        "resultaat toe",
        "en": "convert it to raw first (e.g. qemu-img convert -O raw) and add the result",
    },
    "container_advice_aff": {
        "nl": "exporteer het naar raw met affconvert of FTK Imager en voeg het resultaat toe",
        "en": "export it to raw with affconvert or FTK Imager and add the result",
    },
    "container_advice_parallels": {
        "nl": "zet het eerst om naar raw (bv. met qemu-img convert -O raw) en voeg het "
        "resultaat toe",
        "en": "convert it to raw first (e.g. qemu-img convert -O raw) and add the result",
    },
    "container_advice_zip": {
        "nl": "een AFF4-image of een gezipt image wordt niet rechtstreeks gelezen; pak het "
        "schijfimage uit of zet het om en voeg het toe",
        "en": "an AFF4 image or a zipped image is not read directly; extract or convert the "
        "disk image and add it",
    },
    "container_advice_gzip": {
        "nl": "pak het eerst uit en voeg het image erin toe",
        "en": "decompress it first and add the image inside",
    },
    "container_advice_xz": {
        "nl": "pak het eerst uit en voeg het image erin toe",
        "en": "decompress it first and add the image inside",
    },
    "container_advice_bzip2": {
        "nl": "pak het eerst uit en voeg het image erin toe",
        "en": "decompress it first and add the image inside",
    },
    "container_advice_7z": {
        "nl": "pak het eerst uit en voeg het image erin toe",
        "en": "decompress it first and add the image inside",
    },
    "container_advice_zstd": {
        "nl": "pak het eerst uit en voeg het image erin toe",
        "en": "decompress it first and add the image inside",
    },
    "container_advice_dmg": {
        "nl": "zet het om naar raw op een Mac (hdiutil convert -format UDTO) of met dmg2img en "
        "voeg het resultaat toe",
        "en": "convert it to raw on a Mac (hdiutil convert -format UDTO) or with dmg2img and "
        "add the result",
    },
    "preview_busy": {
        "nl": "De server maakt al {slots} videovoorbeelden; "
        "probeer het over {seconds} seconden opnieuw.",
        "en": "The server is already making {slots} video previews; "
        "try again in {seconds} seconds.",
    },
    "preview_busy_short": {"nl": "even bezig, probeer opnieuw", "en": "busy, try again"},
    "stage_hash": {"nl": "hashcontrole", "en": "hash check"},
    "stage_files": {"nl": "bestandssystemen", "en": "file systems"},
    "stage_carve": {"nl": "carving", "en": "carving"},
    "stage_yara": {"nl": "YARA-scan", "en": "YARA scan"},
    "stage_archives": {"nl": "archieven", "en": "archives"},
    "stage_yara-files": {"nl": "YARA-scan van bestanden", "en": "YARA scan of files"},
    "stage_timeline": {"nl": "tijdlijn", "en": "timeline"},
    "stage_hashsets": {"nl": "hashsets", "en": "hash sets"},
    "stage_thumbnails": {"nl": "miniaturen", "en": "thumbnails"},
    "stage_report": {"nl": "rapport", "en": "report"},
    # the evidence store and its derived files (local disk, S3)
    "err_store_write_failed": {
        "nl": "Het stuk kon niet in de bewijsopslag worden geschreven; er is niets "
        "opgeslagen. Meld het aan de beheerder van de server.",
        "en": "The item could not be written to the evidence store; nothing was stored. "
        "Tell the server's administrator.",
    },
    "err_store_unusable": {
        "nl": "De map van de bewijsopslag op de server is onbruikbaar; er is niets "
        "opgeslagen. Meld het aan de beheerder van de server.",
        "en": "The evidence store's folder on the server cannot be used; nothing was "
        "stored. Tell the server's administrator.",
    },
    "err_derived_write_failed": {
        "nl": "Een afgeleid bestand (rapport, geëxporteerd of gecarved bestand) kon niet in "
        "de opslag worden geschreven. Meld het aan de beheerder van de server.",
        "en": "A derived file (report, exported or carved file) could not be written to "
        "the store. Tell the server's administrator.",
    },
    "err_derived_delete_failed": {
        "nl": "Een afgeleid bestand kon niet uit de opslag worden verwijderd. Meld het aan "
        "de beheerder van de server.",
        "en": "A derived file could not be removed from the store. Tell the server's "
        "administrator.",
    },
    "err_evidence_key_exists": {
        "nl": "Onder deze naam staat al een stuk in de bewijsopslag; het bestaande stuk "
        "blijft ongewijzigd en deze opname is geweigerd. Neem het opnieuw op.",
        "en": "The evidence store already holds an item under this name; it stays as it "
        "is and this intake was refused. Take it in again.",
    },
    "err_evidence_key_raced": {
        "nl": "Een andere opname schreef tegelijk een stuk onder dezelfde naam in de "
        "bewijsopslag; deze kopie is verworpen. Neem het opnieuw op.",
        "en": "Another intake wrote an item under the same name in the evidence store at "
        "the same time; this copy was discarded. Take it in again.",
    },
    "err_evidence_key_raced_locked": {
        "nl": "Een andere opname schreef tegelijk een stuk onder dezelfde naam in de "
        "bewijsopslag; deze kopie (versie {version}) is vergrendeld maar is niet het stuk. "
        "Noteer de eerdere versie en meld het aan de bewijsbeheerder.",
        "en": "Another intake wrote an item under the same name in the evidence store at "
        "the same time; this copy (version {version}) is locked but is not the item. "
        "Note the earlier version and tell the evidence officer.",
    },
    # image readers
    "err_binding_missing": {
        "nl": "Dit formaat lezen vereist de Python-binding {module} van libyal (pakket "
        "{package}), die op deze server ontbreekt; vraag de beheerder die te installeren.",
        "en": "Reading this format needs libyal's Python binding {module} (package "
        "{package}), which this server lacks; ask the administrator to install it.",
    },
    "err_vmdk_several_descriptors": {
        "nl": "{file}: {count} VMDK-beschrijvingsbestanden ({names}); neem één schijf tegelijk op.",
        "en": "{file}: {count} VMDK descriptor files ({names}); take in one disk at a time.",
    },
    "err_vmdk_no_descriptor": {
        "nl": "{file}: {count} VMDK-extentbestanden maar geen beschrijvingsbestand (het "
        "kleine tekstbestand '# Disk DescriptorFile' dat ze opsomt); voeg het toe.",
        "en": "{file}: {count} VMDK extent files but no descriptor file (the small text "
        "file '# Disk DescriptorFile' that lists them); add it.",
    },
    # carving and the processing report
    "err_carve_read_failed": {
        "nl": "Het lezen van de {format}-kandidaat op offset {offset} is mislukt tijdens "
        "het carven; controleer of het image leesbaar is.",
        "en": "Reading the {format} candidate at offset {offset} failed while carving; "
        "check that the image is readable.",
    },
    "err_carve_signatures": {
        "nl": "De carving-handtekeningen van lccu compileren niet; meld het aan de "
        "beheerder (een fout in lccu, niet in het stuk).",
        "en": "lccu's carving signatures do not compile; tell the administrator (a fault "
        "in lccu, not in the item).",
    },
    "err_carve_search_failed": {
        "nl": "Het zoeken naar bestandshandtekeningen in een segment is mislukt tijdens het "
        "carven.",
        "en": "Searching a segment for file signatures failed while carving.",
    },
    "err_report_not_json": {
        "nl": "Het rapport kan niet als JSON worden geschreven.",
        "en": "The report cannot be written as JSON.",
    },
    "err_report_not_folder": {
        "nl": "De doelmap van het rapport bestaat al en is geen map.",
        "en": "The report's output folder exists and is not a folder.",
    },
    "err_report_write_failed": {
        "nl": "Het rapport kon niet worden geschreven. Meld het aan de beheerder van de server.",
        "en": "The report could not be written. Tell the server's administrator.",
    },
    # the custody fields a custody-rule reason names
    "field_released_by": {"nl": "Afgegeven door", "en": "Released by"},
    "field_received_by": {"nl": "Ontvangen door", "en": "Received by"},
    "field_witness": {"nl": "Getuige", "en": "Witness"},
    "field_from_location": {"nl": "Van plaats", "en": "From location"},
    "field_to_location": {"nl": "Naar plaats", "en": "To location"},
    "field_seal_before": {"nl": "Zegel aangetroffen", "en": "Seal as found"},
    "field_seal_after": {"nl": "Zegel achtergelaten", "en": "Seal as left"},
    "field_seal_intact": {"nl": "Zegel intact", "en": "Seal intact"},
}


def pick(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT


#: the audit log's operation codes as the DPO reads them (the code stays on the page too)
OPERATIONS: dict[str, dict[str, str]] = {
    "login": {"nl": "aanmelden", "en": "log in"},
    "logout": {"nl": "afmelden", "en": "log out"},
    "case.create": {"nl": "dossier aanmaken", "en": "create a case"},
    "case.read": {"nl": "dossier inzien", "en": "read a case"},
    "case.list": {"nl": "dossiers oplijsten", "en": "list cases"},
    "case.share": {"nl": "dossier delen", "en": "share a case"},
    "case.unshare": {"nl": "delen van dossier intrekken", "en": "revoke a share of a case"},
    "case.close": {"nl": "dossier afsluiten", "en": "close a case"},
    "case.question": {"nl": "onderzoeksvraag vastleggen", "en": "set the question of a case"},
    "case.export": {"nl": "dossier exporteren", "en": "export a case"},
    "evidence.add": {"nl": "stuk toevoegen", "en": "add an evidence item"},
    "evidence.refused": {"nl": "stuk geweigerd bij opname", "en": "evidence refused at intake"},
    "evidence.read": {"nl": "stuk inzien", "en": "read an evidence item"},
    "evidence.list": {"nl": "stukken oplijsten", "en": "list evidence items"},
    "evidence.access": {"nl": "stuk openen", "en": "open an evidence item"},
    "evidence.verify": {"nl": "stuk controleren", "en": "verify an evidence item"},
    "run.read": {"nl": "verwerking inzien", "en": "read a processing run"},
    "run.list": {"nl": "verwerkingen oplijsten", "en": "list processing runs"},
    "run.submit": {"nl": "verwerking starten", "en": "start processing"},
    "report.read": {"nl": "rapport inzien", "en": "read a report"},
    "report.export": {
        "nl": "rapport wegschrijven (met bestanden)",
        "en": "write a report out (with its files)",
    },
    "derived.read": {"nl": "afgeleid bestand inzien", "en": "read a derived file"},
    "custody.read": {"nl": "bewaringsketen inzien", "en": "read the chain of custody"},
    "custody.verify": {"nl": "bewaringsketen controleren", "en": "verify the chain of custody"},
    "custody.export": {"nl": "bewaringsketen exporteren", "en": "export the chain of custody"},
    "custody.countersign": {"nl": "medeondertekenen", "en": "countersign"},
    "custody.countersigned": {"nl": "medeondertekend", "en": "countersigned"},
    "custody.acquired": {"nl": "bewaring: verworven", "en": "custody: acquired"},
    "custody.intake": {"nl": "bewaring: opname", "en": "custody: intake"},
    "custody.transferred": {"nl": "bewaring: overdracht", "en": "custody: transfer"},
    "custody.checked_out": {"nl": "bewaring: uitgeleend", "en": "custody: checked out"},
    "custody.checked_in": {"nl": "bewaring: teruggebracht", "en": "custody: checked in"},
    "custody.seal_broken": {"nl": "bewaring: zegel verbroken", "en": "custody: seal broken"},
    "custody.resealed": {"nl": "bewaring: opnieuw verzegeld", "en": "custody: resealed"},
    "custody.accessed": {"nl": "bewaring: geraadpleegd", "en": "custody: accessed"},
    "custody.processed": {"nl": "bewaring: verwerkt", "en": "custody: processed"},
    "custody.verified": {"nl": "bewaring: gecontroleerd", "en": "custody: verified"},
    "custody.exported": {"nl": "bewaring: geëxporteerd", "en": "custody: exported"},
    "custody.returned": {"nl": "bewaring: teruggegeven", "en": "custody: returned"},
    "custody.destroyed": {"nl": "bewaring: vernietigd", "en": "custody: destroyed"},
    "custody.note": {"nl": "bewaring: notitie", "en": "custody: note"},
    "zone.create": {"nl": "zone aanmaken", "en": "create a zone"},
    "unit.key.create": {"nl": "eenheidssleutel aanmaken", "en": "create the unit key"},
    "unit.key.protect": {"nl": "eenheidssleutel beveiligen", "en": "protect the unit key"},
    "user.create": {"nl": "gebruiker aanmaken", "en": "create a user"},
    "user.list": {"nl": "gebruikers oplijsten", "en": "list users"},
    "audit.read": {"nl": "auditlog inzien", "en": "read the audit log"},
    "audit.verify": {"nl": "auditlog controleren", "en": "verify the audit log"},
    "audit.export": {"nl": "auditlog exporteren", "en": "export the audit log"},
    "audit.anchors": {"nl": "ankers van de auditlog", "en": "audit log anchors"},
    "password.set": {"nl": "wachtwoord instellen", "en": "set a password"},
    "token.create": {"nl": "API-token aanmaken", "en": "create an API token"},
    "token.revoke": {"nl": "API-token intrekken", "en": "revoke an API token"},
    "key.unlock": {"nl": "sleutel ontgrendelen", "en": "unlock a key"},
    "key.rotate": {"nl": "sleutel vervangen", "en": "rotate a key"},
    "key.revoke": {"nl": "sleutel intrekken", "en": "revoke a key"},
    "key.passphrase": {
        "nl": "wachtwoordzin van sleutel wijzigen",
        "en": "change a key's passphrase",
    },
    "hashset.import": {"nl": "hashset importeren", "en": "import a hash set"},
    "hashset.remove": {"nl": "hashset verwijderen", "en": "remove a hash set"},
    "hashset.list": {"nl": "hashsets oplijsten", "en": "list hash sets"},
    "workers.read": {"nl": "verwerkers inzien", "en": "see the workers"},
    "metrics.read": {"nl": "meetwaarden inzien", "en": "read the metrics"},
    "tag.add": {"nl": "bestand labelen", "en": "tag a file"},
    "tag.list": {"nl": "labels inzien", "en": "read tags"},
    "tag.remove": {"nl": "label verwijderen", "en": "remove a tag"},
    "tag.label": {"nl": "labelnaam vastleggen", "en": "define a tag label"},
    "file.list": {"nl": "bestanden oplijsten", "en": "list files"},
    "file.read": {"nl": "bestand inzien", "en": "read a file"},
    "file.preview": {"nl": "voorbeeld van bestand", "en": "preview a file"},
    "notable.mark": {"nl": "bestand als opvallend markeren", "en": "mark a file as notable"},
    "notable.list": {"nl": "opvallende markeringen inzien", "en": "read notable marks"},
    "notable.approve": {"nl": "opvallende markering goedkeuren", "en": "approve a notable mark"},
    "notable.reject": {"nl": "opvallende markering afwijzen", "en": "reject a notable mark"},
    "xzone.enable": {
        "nl": "zone-overschrijdende hit/no-hit aanzetten",
        "en": "enable cross-zone hit/no-hit",
    },
    "xzone.disable": {
        "nl": "zone-overschrijdende hit/no-hit uitzetten",
        "en": "disable cross-zone hit/no-hit",
    },
    "xzone.zones": {"nl": "deelnemende zones oplijsten", "en": "list taking-part zones"},
    "xzone.offer": {
        "nl": "bestanden aanbieden aan andere zones",
        "en": "offer files to other zones",
    },
    "xzone.lookup": {
        "nl": "andere zones bevragen over een bestand",
        "en": "ask other zones about a file",
    },
    "xzone.hits": {
        "nl": "andere zones bevragen over een stuk",
        "en": "ask other zones about an item",
    },
    "xzone.hit": {"nl": "treffer in een andere zone", "en": "hit in another zone"},
    "xzone.request": {"nl": "inzage vragen aan een andere zone", "en": "request a disclosure"},
    "xzone.requests": {"nl": "inzageverzoeken inzien", "en": "read disclosure requests"},
    "xzone.requested": {"nl": "inzage gevraagd", "en": "disclosure requested"},
    "xzone.grant": {"nl": "inzageverzoek toestaan", "en": "grant a disclosure request"},
    "xzone.refuse": {"nl": "inzageverzoek weigeren", "en": "refuse a disclosure request"},
    "xzone.refused": {"nl": "inzage geweigerd", "en": "disclosure refused"},
    "xzone.disclosed": {"nl": "inzage gegeven", "en": "disclosed"},
    "upload.cleanup": {"nl": "onvoltooide uploads opruimen", "en": "clean up unfinished uploads"},
    "resolve": {"nl": "verwijzing opzoeken", "en": "resolve a reference"},
}


def operation_label(code: str, lang: str) -> str:
    """The audit operation ``code`` in ``lang``; a code without a label as it is."""
    entry = OPERATIONS.get(code)
    return entry[pick(lang)] if entry else code


#: every key a page asked for that :data:`STRINGS` lacks, so a test (or an operator) can
#: list the untranslated ones; the page shows the key itself rather than failing
MISSING: set[str] = set()


class Translator(Mapping[str, str]):
    """``t["key"]`` in templates; a missing key shows itself instead of failing the page."""

    def __init__(self, lang: str) -> None:
        self.lang = pick(lang)

    def __getitem__(self, key: str) -> str:
        entry = STRINGS.get(key)
        if entry is None:
            MISSING.add(key)
            return key
        return entry[self.lang]

    def __contains__(self, key: object) -> bool:
        return key in STRINGS

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(STRINGS)

    def __len__(self) -> int:
        return len(STRINGS)
