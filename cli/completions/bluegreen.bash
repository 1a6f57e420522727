# bash completion for bluegreen, the command-line client of bluegreend.
# Completes commands, options, colours, and app names asked from the server
# (`bluegreen __complete apps`: a quick call that prints nothing on failure;
# its answer is only ever compared, never expanded by the shell).

_bluegreen() {
  local cur prev words cword
  # bash splits words at ':' and '=' (COMP_WORDBREAKS): a URL would come in
  # pieces. bash-completion's helper puts them together again.
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n =: cur prev words cword
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
  local commands="status deploy switch rollback lock unlock cancel logs history events task help"
  local global="--url --token-file --json --help --version"
  local cmd="" i word operands=0 connect=()
  COMPREPLY=()

  # The command, the operands before the cursor, and --url/--token-file to
  # pass on when asking the server for app names.
  for ((i = 1; i < cword; i++)); do
    word=${words[i]}
    case "$word" in
      --url | --token-file)
        connect+=("$word" "${words[i + 1]}")
        ((i++))
        ;;
      --to | --weight | --on | --limit) ((i++)) ;;
      --url=* | --token-file=*) connect+=("$word") ;;
      -*) ;;
      *)
        if [ -z "$cmd" ]; then cmd=$word; else ((operands++)); fi
        ;;
    esac
  done

  case "$prev" in
    --url | --limit) return 0 ;;
    --token-file)
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0
      ;;
    --to | --on)
      COMPREPLY=($(compgen -W "blue green" -- "$cur"))
      return 0
      ;;
    --weight)
      COMPREPLY=($(compgen -W "blue= green=" -- "$cur"))
      compopt -o nospace 2>/dev/null
      return 0
      ;;
  esac

  if [[ "$cur" == -* ]]; then
    local options=$global
    case "$cmd" in
      deploy) options+=" --follow --force" ;;
      switch) options+=" --to --weight --follow" ;;
      rollback | logs) options+=" --follow" ;;
      task) options+=" --on --follow" ;;
      history) options+=" --limit" ;;
      events) options+=" --follow --limit" ;;
    esac
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
    return 0
  fi

  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    return 0
  fi

  case "$cmd" in
    help)
      [ "$operands" -eq 0 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
      ;;
    status | deploy | switch | rollback | lock | unlock | history | task)
      if [ "$operands" -eq 0 ]; then
        # The server's answer is never given to compgen -W, which would
        # expand $(...) in it: each name is compared as a plain string.
        local name
        while IFS= read -r name; do
          [[ $name =~ ^[a-z0-9][a-z0-9_-]{0,62}$ && $name == "$cur"* ]] && COMPREPLY+=("$name")
        done < <("${words[0]}" "${connect[@]}" __complete apps 2>/dev/null)
      fi
      ;;
  esac
  return 0
}

complete -F _bluegreen bluegreen
