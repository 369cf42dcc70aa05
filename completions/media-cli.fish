# fish completion for media-cli 0.1.0.
# Generated from the Typer app by `python -m media_cli.cli.docs` (make docs); do not edit.
# Static: completing never runs media-cli and never touches the network.
function __media_cli_profiles
    set -l dir
    if set -q MEDIA_CLI_CONFIG_DIR; and test -n "$MEDIA_CLI_CONFIG_DIR"
        set dir $MEDIA_CLI_CONFIG_DIR
    else if test (uname) = Darwin
        set dir "$HOME/Library/Application Support/media-cli"
    else if set -q XDG_CONFIG_HOME; and test -n "$XDG_CONFIG_HOME"
        set dir $XDG_CONFIG_HOME/media-cli
    else
        set dir $HOME/.config/media-cli
    end
    test -r "$dir/config.toml"; or return 0
    sed -n 's/^[[:space:]]*\[profiles\."\{0,1\}\([A-Za-z0-9_.-]*\)"\{0,1\}\][[:space:]]*$/\1/p' "$dir/config.toml"
end

function __media_cli_subcommands
    switch "$argv[1]"
        case ''
            printf '%s\n' list fetch download delete purge emulator upload-chat fetch-chat download-chat auth
        case 'auth'
            printf '%s\n' login status logout
    end
end

function __media_cli_takes_value
    switch "$argv[1]|$argv[2]"
        case '|--profile' '|--account-sid' '|--api-url' '|--mcs-url' '|--region' '|--edge' 'list|--created-on' 'list|--created-before' 'list|--created-after' 'list|--sent-before' 'list|--sent-after' 'list|--older-than' 'list|--to' 'list|--from' 'list|--limit' 'list|--page-size' 'list|-j' 'list|--concurrency' 'download|-o' 'download|--output' 'download|-d' 'download|--dir' 'download|--layout' 'download|--from-list' 'download|--sent-before' 'download|--sent-after' 'download|--older-than' 'download|--to' 'download|--from' 'download|-j' 'download|--concurrency' 'download|--manifest' 'download|--not-found-tries' 'delete|-j' 'delete|--concurrency' 'purge|--older-than' 'purge|--sent-before' 'purge|--sent-after' 'purge|--to' 'purge|--from' 'purge|--max-deletes' 'purge|--archive' 'purge|--lock-file' 'purge|-j' 'purge|--concurrency' 'purge|--max-rate' 'emulator|--host' 'emulator|--port' 'emulator|--seed' 'emulator|--latency-ms' 'emulator|--max-concurrency' 'emulator|--redirect-status' 'emulator|--retry-after' 'emulator|--url-ttl' 'emulator|--now' 'upload-chat|-s' 'upload-chat|--service' 'upload-chat|-t' 'upload-chat|--content-type' 'upload-chat|--filename' 'upload-chat|-j' 'upload-chat|--concurrency' 'download-chat|-o' 'download-chat|--output' 'download-chat|-d' 'download-chat|--dir' 'auth login|--account-sid' 'auth login|--api-key' 'auth login|--region' 'auth login|--edge'
            return 0
    end
    return 1
end

# The command path typed so far: '' (root), 'list', 'auth login'.
function __media_cli_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l path ''
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
                continue
            case '-*'
                __media_cli_takes_value "$path" $t; and set skip 1
                continue
        end
        if contains -- $t (__media_cli_subcommands "$path")
            set path (string trim -- "$path $t")
        else
            break
        end
    end
    echo "$path"
end

function __media_cli_at
    set -l p (__media_cli_path)
    test "$p" = "$argv[1]"
end

complete -c media-cli -f
complete -c media-cli -n '__media_cli_at '\'''\''' -a list -d 'List media, newest messages first.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a fetch -d 'Show one media'\''s metadata.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a download -d 'Download media content: one file, a message'\''s media, or media across the account.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a delete -d 'Delete media. Asks first on a terminal; elsewhere --yes is required.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a purge -d 'Delete the media of messages sent before a cut-off, across the account.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a emulator -d 'Start the bundled Twilio emulator: API, MCS and CDN listeners on loopback.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a upload-chat -d 'Upload files to a Chat/Conversations service (MCS) and print the created media.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a fetch-chat -d 'Show one Chat/Conversations media'\''s metadata.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a download-chat -d 'Download a Chat/Conversations media'\''s bytes.'
complete -c media-cli -n '__media_cli_at '\'''\''' -a auth -d 'Store credentials in the system keyring and show which ones are in effect.'
complete -c media-cli -n '__media_cli_at '\'''\''' -l profile -x -a '(__media_cli_profiles)' -d 'Credentials profile to use. [env var: MEDIA_CLI_PROFILE]'
complete -c media-cli -n '__media_cli_at '\'''\''' -l account-sid -x -d 'Account whose media to act on (a subaccount is fine).'
complete -c media-cli -n '__media_cli_at '\'''\''' -l api-url -x -d 'REST API base URL [default: https://api.twilio.com]. [env var: MEDIA_CLI_API_URL]'
complete -c media-cli -n '__media_cli_at '\'''\''' -l mcs-url -x -d 'Media Content Service base URL [default: https://mcs.us1.twilio.com]. [env var: MEDIA_CLI_MCS_URL]'
complete -c media-cli -n '__media_cli_at '\'''\''' -l region -x -a 'us1 ie1 au1' -d 'Twilio region, such as ie1. [env var: TWILIO_REGION]'
complete -c media-cli -n '__media_cli_at '\'''\''' -l edge -x -a 'ashburn dublin frankfurt sao-paulo singapore sydney tokyo umatilla' -d 'Twilio edge, such as dublin. [env var: TWILIO_EDGE]'
complete -c media-cli -n '__media_cli_at '\'''\''' -l insecure -d 'Allow a plain-http API URL to a non-loopback host.'
complete -c media-cli -n '__media_cli_at '\'''\''' -l debug -d 'Log requests (secrets redacted) and show tracebacks. [env var: MEDIA_CLI_DEBUG]'
complete -c media-cli -n '__media_cli_at '\'''\''' -s q -l quiet -d 'No progress, warnings or summaries.'
complete -c media-cli -n '__media_cli_at '\'''\''' -l version -d 'Print the version and exit.'
complete -c media-cli -n '__media_cli_at '\'''\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l created-on -x -d 'Media created on this GMT day.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l created-before -x -d 'Media created on or before this GMT day.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l created-after -x -d 'Media created on or after this GMT day.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l sent-before -x -d 'Only messages sent before this instant (UTC unless an offset is given).'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l sent-after -x -d 'Only messages sent at or after this instant.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l older-than -x -a '1d 7d 30d 90d 180d 365d' -d 'Only messages sent more than this long ago: 90d, 12h, 2w.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l to -x -d 'Only messages sent to this number.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l from -x -d 'Only messages sent from this number.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l all-subaccounts -d 'Also cover every subaccount the credentials can see, except closed ones. One that refuses access (a suspended one) is reported and skipped; the run exits 1.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l limit -x -d 'Stop after this many items (no extra page is fetched). [x>=1]'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l page-size -x -d 'Items per API page, 1 to 1000 (default 1000).'
complete -c media-cli -n '__media_cli_at '\''list'\''' -s j -l concurrency -x -d 'Messages whose media are listed at once (account-wide listing). [default: 8; 1<=x<=64]'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''list'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''list'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''fetch'\''' -l xml -d 'Print Twilio'\''s XML representation as it is.'
complete -c media-cli -n '__media_cli_at '\''fetch'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''fetch'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''fetch'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -s o -l output -r -F -d 'Write the one media named by MESSAGE_SID MEDIA_SID to FILE (- for stdout).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -s d -l dir -x -a '(__fish_complete_directories)' -d 'Download into this directory. [default: .]'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l layout -x -d 'Where each file goes under -d: a template with {account_sid} {message_sid} {sid} {ext} {content_type} {date_created} {date_sent}; dates take a strftime spec, e.g. {date_created:%Y/%m/%d}/{sid}{ext}. It must stay inside -d.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l from-list -r -F -d 'Read the media to download from FILE or stdin (-): `list --jsonl` output, '\''MESSAGE_SID MEDIA_SID'\'' lines, or media SIDs when MESSAGE_SID is given.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l sent-before -x -d 'Only messages sent before this instant (UTC unless an offset is given).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l sent-after -x -d 'Only messages sent at or after this instant.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l older-than -x -a '1d 7d 30d 90d 180d 365d' -d 'Only messages sent more than this long ago: 90d, 12h, 2w.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l to -x -d 'Only messages sent to this number.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l from -x -d 'Only messages sent from this number.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l all-subaccounts -d 'Also cover every subaccount the credentials can see, except closed ones. One that refuses access (a suspended one) is reported and skipped; the run exits 1.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l all -d 'Download every media of the account (required without a date/--to/--from filter).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -s j -l concurrency -x -d 'Files downloaded at once; fewer while Twilio answers 429. [default: 8; 1<=x<=64]'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l skip-existing -d 'Keep files that already exist (files the manifest shows complete are always kept).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l clobber -d 'Overwrite files that already exist.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l resume -d 'Continue interrupted NAME.part files with a Range request (one whose last bytes differ from the media'\''s is downloaded again).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l manifest -r -F -d 'Record completed files here [default: DIR/manifest.jsonl].'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l no-manifest -d 'Do not read or write a manifest.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l fsync -d 'Sync each file and manifest line to disk before moving on, so completed files survive a power loss (slower: waits for the disk).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l not-found-tries -x -d 'Tries for a media that answers 404 (new media can 404 for a few seconds). [default: 3; 1<=x<=20]'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''download'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''download'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''delete'\''' -s y -l yes -d 'Do not ask for confirmation (required without a TTY).'
complete -c media-cli -n '__media_cli_at '\''delete'\''' -s j -l concurrency -x -d 'Requests in flight at once (1 to 64). [default: 4; 1<=x<=64]'
complete -c media-cli -n '__media_cli_at '\''delete'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''delete'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''delete'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l older-than -x -a '1d 7d 30d 90d 180d 365d' -d 'Purge media of messages sent more than this long ago: 90d, 12h, 2w.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l sent-before -x -d 'Purge media of messages sent before this instant (UTC unless an offset is given; a bare date means 00:00:00 UTC that day).'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l sent-after -x -d 'Only messages sent at or after this instant.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l to -x -d 'Only messages sent to this number.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l from -x -d 'Only messages sent from this number.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l all-subaccounts -d 'Also cover every subaccount the credentials can see, except closed ones. One that refuses access (a suspended one) is reported and skipped; the run exits 1.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l dry-run -d 'List exactly what would be deleted; delete nothing.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -s y -l yes -d 'Do not ask for confirmation (required without a TTY).'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l max-deletes -x -d 'Abort before deleting anything if the plan holds more than N media. [x>=0]'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l archive -x -a '(__fish_complete_directories)' -d 'Download each media into DIR (same layout and manifest.jsonl as `download`) and delete it only once its size and sha256 are verified.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l lock-file -r -F -d 'Lock this file instead of <config dir>/locks/<account>.lock.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -s j -l concurrency -x -d 'Requests in flight at once (1 to 64); halves while Twilio answers 429. [default: 8; 1<=x<=64]'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l max-rate -x -d 'At most N delete (and archive) requests per second. [x>=0.01]'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''purge'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l host -x -d 'Address to listen on (keep it on loopback). [default: 127.0.0.1]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l port -x -d 'API port; 0 picks a free one. [default: 0; 0<=x<=65535]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l seed -x -a 'demo none' -d 'demo (deterministic sample data), none, or a number of messages. [default: demo]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l latency-ms -x -d 'Added to every response. [default: 0; x>=0]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l max-concurrency -x -d 'Answer 429 (20429) above this many in flight; 0: off. [default: 0; x>=0]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l redirect-status -x -a '302 307' -d '302 or 307 for content redirects. [default: 307]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l retry-after -x -d 'Send Retry-After: S with each 429. [x>=0]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l url-ttl -x -d 'Lifetime of signed CDN URLs, seconds. [default: 14400.0; x>=0.1]'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -l now -x -d 'Anchor of the demo seed'\''s dates (default: today 00:00 UTC).'
complete -c media-cli -n '__media_cli_at '\''emulator'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -s s -l service -x -d 'The Chat/Conversations service SID (IS…). [required]'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -s t -l content-type -x -a 'image/jpeg image/png image/gif application/pdf audio/mpeg video/mp4 text/plain' -d 'Content-Type for every file; required when it cannot be told from the name.'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -l filename -x -d 'The name MCS stores (default: the file'\''s own name); one FILE only.'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -l multipart -d 'Send multipart/form-data (as the older Chat docs show) instead of raw bytes.'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -s j -l concurrency -x -d 'Requests in flight at once (1 to 64). [default: 4; 1<=x<=64]'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''upload-chat'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''fetch-chat'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''fetch-chat'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''fetch-chat'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -s o -l output -r -F -d 'Write to FILE, or to stdout with -.'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -s d -l dir -x -a '(__fish_complete_directories)' -d 'Save into DIR as the uploaded file name made safe, else SID.ext [default: .].'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -l skip-existing -d 'Leave a file that already exists alone.'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -l clobber -d 'Overwrite a file that already exists.'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''download-chat'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''auth'\''' -a login -d 'Store credentials for a profile: the secret in the keyring, the rest in the config.'
complete -c media-cli -n '__media_cli_at '\''auth'\''' -a status -d 'Show the credentials in effect and where each value came from (never the secret).'
complete -c media-cli -n '__media_cli_at '\''auth'\''' -a logout -d 'Remove a profile'\''s secret from the keyring and its table from the config file.'
complete -c media-cli -n '__media_cli_at '\''auth'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l account-sid -x -d 'The account to log in to (prompted for on a terminal when omitted).'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l api-key -x -d 'Store this API key and its secret instead of the account'\''s auth token.'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l with-token -d 'Read the secret from stdin (one line) instead of prompting.'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l verify -l no-verify -d 'Check the credentials against the API before storing them. [default: verify]'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l region -x -a 'us1 ie1 au1' -d 'Store this Twilio region in the profile.'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -l edge -x -a 'ashburn dublin frankfurt sao-paulo singapore sydney tokyo umatilla' -d 'Store this Twilio edge in the profile.'
complete -c media-cli -n '__media_cli_at '\''auth login'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''auth status'\''' -l json -d 'Print one JSON document (an array for lists).'
complete -c media-cli -n '__media_cli_at '\''auth status'\''' -l jsonl -d 'Print one compact JSON object per line, as items arrive.'
complete -c media-cli -n '__media_cli_at '\''auth status'\''' -s h -l help -d 'Show this message and exit.'
complete -c media-cli -n '__media_cli_at '\''auth logout'\''' -s h -l help -d 'Show this message and exit.'
