# bash completion for media-cli 0.1.0.
# Generated from the Typer app by `python -m media_cli.cli.docs` (make docs); do not edit.
# Static: completing never runs media-cli and never touches the network.
_media_cli_profiles() {
    local dir
    if [ -n "${MEDIA_CLI_CONFIG_DIR:-}" ]; then dir=$MEDIA_CLI_CONFIG_DIR
    elif [[ "$OSTYPE" == darwin* ]]; then
        dir="$HOME/Library/Application Support/media-cli"
    else dir="${XDG_CONFIG_HOME:-$HOME/.config}/media-cli"; fi
    [ -r "$dir/config.toml" ] || return 0
    sed -n 's/^[[:space:]]*\[profiles\."\{0,1\}\([A-Za-z0-9_.-]*\)"\{0,1\}\][[:space:]]*$/\1/p' "$dir/config.toml"
}
_media_cli_subcommands() {
    case "$1" in
        "") echo "list fetch download delete purge emulator upload-chat fetch-chat download-chat auth" ;;
        "auth") echo "login status logout" ;;
    esac
}
_media_cli_options() {
    case "$1" in
        "") echo "--profile --account-sid --api-url --mcs-url --region --edge --insecure --debug -q --quiet --version -h --help" ;;
        "list") echo "--created-on --created-before --created-after --sent-before --sent-after --older-than --to --from --all-subaccounts --limit --page-size -j --concurrency --json --jsonl -h --help" ;;
        "fetch") echo "--xml --json --jsonl -h --help" ;;
        "download") echo "-o --output -d --dir --layout --from-list --sent-before --sent-after --older-than --to --from --all-subaccounts --all -j --concurrency --skip-existing --clobber --resume --manifest --no-manifest --fsync --not-found-tries --json --jsonl -h --help" ;;
        "delete") echo "-y --yes -j --concurrency --json --jsonl -h --help" ;;
        "purge") echo "--older-than --sent-before --sent-after --to --from --all-subaccounts --dry-run -y --yes --max-deletes --archive --lock-file -j --concurrency --max-rate --json --jsonl -h --help" ;;
        "emulator") echo "--host --port --seed --latency-ms --max-concurrency --redirect-status --retry-after --url-ttl --now -h --help" ;;
        "upload-chat") echo "-s --service -t --content-type --filename --multipart -j --concurrency --json --jsonl -h --help" ;;
        "fetch-chat") echo "--json --jsonl -h --help" ;;
        "download-chat") echo "-o --output -d --dir --skip-existing --clobber --json --jsonl -h --help" ;;
        "auth") echo "-h --help" ;;
        "auth login") echo "--account-sid --api-key --with-token --verify --no-verify --region --edge -h --help" ;;
        "auth status") echo "--json --jsonl -h --help" ;;
        "auth logout") echo "-h --help" ;;
    esac
}
_media_cli_takes_value() {
    case "$1|$2" in
        "|--profile" | \
        "|--account-sid" | \
        "|--api-url" | \
        "|--mcs-url" | \
        "|--region" | \
        "|--edge" | \
        "list|--created-on" | \
        "list|--created-before" | \
        "list|--created-after" | \
        "list|--sent-before" | \
        "list|--sent-after" | \
        "list|--older-than" | \
        "list|--to" | \
        "list|--from" | \
        "list|--limit" | \
        "list|--page-size" | \
        "list|-j" | \
        "list|--concurrency" | \
        "download|-o" | \
        "download|--output" | \
        "download|-d" | \
        "download|--dir" | \
        "download|--layout" | \
        "download|--from-list" | \
        "download|--sent-before" | \
        "download|--sent-after" | \
        "download|--older-than" | \
        "download|--to" | \
        "download|--from" | \
        "download|-j" | \
        "download|--concurrency" | \
        "download|--manifest" | \
        "download|--not-found-tries" | \
        "delete|-j" | \
        "delete|--concurrency" | \
        "purge|--older-than" | \
        "purge|--sent-before" | \
        "purge|--sent-after" | \
        "purge|--to" | \
        "purge|--from" | \
        "purge|--max-deletes" | \
        "purge|--archive" | \
        "purge|--lock-file" | \
        "purge|-j" | \
        "purge|--concurrency" | \
        "purge|--max-rate" | \
        "emulator|--host" | \
        "emulator|--port" | \
        "emulator|--seed" | \
        "emulator|--latency-ms" | \
        "emulator|--max-concurrency" | \
        "emulator|--redirect-status" | \
        "emulator|--retry-after" | \
        "emulator|--url-ttl" | \
        "emulator|--now" | \
        "upload-chat|-s" | \
        "upload-chat|--service" | \
        "upload-chat|-t" | \
        "upload-chat|--content-type" | \
        "upload-chat|--filename" | \
        "upload-chat|-j" | \
        "upload-chat|--concurrency" | \
        "download-chat|-o" | \
        "download-chat|--output" | \
        "download-chat|-d" | \
        "download-chat|--dir" | \
        "auth login|--account-sid" | \
        "auth login|--api-key" | \
        "auth login|--region" | \
        "auth login|--edge") return 0 ;;
    esac
    return 1
}
_media_cli_values() {
    local cur=$3
    case "$1|$2" in
        "|--profile") COMPREPLY=($(compgen -W "$(_media_cli_profiles)" -- "$cur")) ;;
        "|--account-sid") COMPREPLY=() ;;
        "|--api-url") COMPREPLY=() ;;
        "|--mcs-url") COMPREPLY=() ;;
        "|--region") COMPREPLY=($(compgen -W "us1 ie1 au1" -- "$cur")) ;;
        "|--edge") COMPREPLY=($(compgen -W "ashburn dublin frankfurt sao-paulo singapore sydney tokyo umatilla" -- "$cur")) ;;
        "list|--created-on") COMPREPLY=() ;;
        "list|--created-before") COMPREPLY=() ;;
        "list|--created-after") COMPREPLY=() ;;
        "list|--sent-before") COMPREPLY=() ;;
        "list|--sent-after") COMPREPLY=() ;;
        "list|--older-than") COMPREPLY=($(compgen -W "1d 7d 30d 90d 180d 365d" -- "$cur")) ;;
        "list|--to") COMPREPLY=() ;;
        "list|--from") COMPREPLY=() ;;
        "list|--limit") COMPREPLY=() ;;
        "list|--page-size") COMPREPLY=() ;;
        "list|-j" | "list|--concurrency") COMPREPLY=() ;;
        "download|-o" | "download|--output") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        "download|-d" | "download|--dir") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
        "download|--layout") COMPREPLY=() ;;
        "download|--from-list") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        "download|--sent-before") COMPREPLY=() ;;
        "download|--sent-after") COMPREPLY=() ;;
        "download|--older-than") COMPREPLY=($(compgen -W "1d 7d 30d 90d 180d 365d" -- "$cur")) ;;
        "download|--to") COMPREPLY=() ;;
        "download|--from") COMPREPLY=() ;;
        "download|-j" | "download|--concurrency") COMPREPLY=() ;;
        "download|--manifest") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        "download|--not-found-tries") COMPREPLY=() ;;
        "delete|-j" | "delete|--concurrency") COMPREPLY=() ;;
        "purge|--older-than") COMPREPLY=($(compgen -W "1d 7d 30d 90d 180d 365d" -- "$cur")) ;;
        "purge|--sent-before") COMPREPLY=() ;;
        "purge|--sent-after") COMPREPLY=() ;;
        "purge|--to") COMPREPLY=() ;;
        "purge|--from") COMPREPLY=() ;;
        "purge|--max-deletes") COMPREPLY=() ;;
        "purge|--archive") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
        "purge|--lock-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        "purge|-j" | "purge|--concurrency") COMPREPLY=() ;;
        "purge|--max-rate") COMPREPLY=() ;;
        "emulator|--host") COMPREPLY=() ;;
        "emulator|--port") COMPREPLY=() ;;
        "emulator|--seed") COMPREPLY=($(compgen -W "demo none" -- "$cur")) ;;
        "emulator|--latency-ms") COMPREPLY=() ;;
        "emulator|--max-concurrency") COMPREPLY=() ;;
        "emulator|--redirect-status") COMPREPLY=($(compgen -W "302 307" -- "$cur")) ;;
        "emulator|--retry-after") COMPREPLY=() ;;
        "emulator|--url-ttl") COMPREPLY=() ;;
        "emulator|--now") COMPREPLY=() ;;
        "upload-chat|-s" | "upload-chat|--service") COMPREPLY=() ;;
        "upload-chat|-t" | "upload-chat|--content-type") COMPREPLY=($(compgen -W "image/jpeg image/png image/gif application/pdf audio/mpeg video/mp4 text/plain" -- "$cur")) ;;
        "upload-chat|--filename") COMPREPLY=() ;;
        "upload-chat|-j" | "upload-chat|--concurrency") COMPREPLY=() ;;
        "download-chat|-o" | "download-chat|--output") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        "download-chat|-d" | "download-chat|--dir") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
        "auth login|--account-sid") COMPREPLY=() ;;
        "auth login|--api-key") COMPREPLY=() ;;
        "auth login|--region") COMPREPLY=($(compgen -W "us1 ie1 au1" -- "$cur")) ;;
        "auth login|--edge") COMPREPLY=($(compgen -W "ashburn dublin frankfurt sao-paulo singapore sydney tokyo umatilla" -- "$cur")) ;;
        *) COMPREPLY=() ;;
    esac
}
_media_cli_file_args() {
    case "$1" in
    esac
    return 1
}
_media_cli() {
    local cur=${COMP_WORDS[COMP_CWORD]} path="" word subs i=1 skip=0
    COMPREPLY=()
    while [ $i -lt $COMP_CWORD ]; do
        word=${COMP_WORDS[i]}
        i=$((i + 1))
        # bash splits --opt=value at the =: the value follows the =
        if [ "$word" = "=" ]; then skip=1; continue; fi
        if [ $skip = 1 ]; then skip=0; continue; fi
        case "$word" in
            --*=*) continue ;;
            -*) _media_cli_takes_value "$path" "$word" && skip=1; continue ;;
        esac
        subs=" $(_media_cli_subcommands "$path") "
        if [[ "$subs" == *" $word "* ]]; then
            path=${path:+$path }$word
        else
            break
        fi
    done
    if [ "$cur" = "=" ]; then
        _media_cli_values "$path" "${COMP_WORDS[COMP_CWORD-1]}" ""
        return 0
    fi
    if [ $COMP_CWORD -ge 2 ] && [ "${COMP_WORDS[COMP_CWORD-1]}" = "=" ]; then
        _media_cli_values "$path" "${COMP_WORDS[COMP_CWORD-2]}" "$cur"
        return 0
    fi
    if [ $skip = 1 ]; then
        _media_cli_values "$path" "${COMP_WORDS[COMP_CWORD-1]}" "$cur"
        return 0
    fi
    case "$cur" in
        --*=*)
            _media_cli_values "$path" "${cur%%=*}" "${cur#*=}"
            return 0 ;;
        -*)
            COMPREPLY=($(compgen -W "$(_media_cli_options "$path")" -- "$cur"))
            return 0 ;;
    esac
    subs=$(_media_cli_subcommands "$path")
    if [ -n "$subs" ]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    elif _media_cli_file_args "$path"; then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_media_cli_options "$path")" -- "$cur"))
    fi
    return 0
}
complete -F _media_cli media-cli
